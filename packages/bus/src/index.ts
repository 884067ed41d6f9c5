export type {
  BodySchema,
  Bus,
  BusLogger,
  BusMessage,
  ConsumeOptions,
  Consumer,
  DeadLetter,
  DeadLetterVerdict,
  DeliveryContext,
  MessageHandler,
  QueueName,
  RetryPolicy,
} from "./bus.ts";
export { DEFAULT_RETRY_POLICY, QUEUE_NAMES, silentLogger } from "./bus.ts";
export { type BusConfig, createBus } from "./create-bus.ts";
export { BusError, type BusErrorCode, isPoisonError, MessageInvalidError } from "./errors.ts";
export { MemoryBus, type MemoryBusOptions, type RawMessage } from "./memory/memory-bus.ts";
export { RabbitMqBus, type RabbitMqBusOptions } from "./rabbitmq/rabbitmq-bus.ts";
