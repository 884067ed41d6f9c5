import type { Bus, BusLogger, RetryPolicy } from "./bus.ts";
import { MemoryBus } from "./memory/memory-bus.ts";
import { RabbitMqBus } from "./rabbitmq/rabbitmq-bus.ts";

/** What a composition root passes to pick an adapter (`KLI8NT_BUS=memory|rabbitmq`). */
export type BusConfig =
  | { readonly kind: "memory"; readonly retry?: Partial<RetryPolicy> }
  | {
      readonly kind: "rabbitmq";
      readonly url: string;
      readonly prefix?: string;
      readonly retry?: Partial<RetryPolicy>;
      readonly publishTimeoutMs?: number;
      readonly connectTimeoutMs?: number;
    };

/** Builds the configured adapter; the RabbitMQ one is connected and its topology declared on return. */
export async function createBus(config: BusConfig, logger?: BusLogger): Promise<Bus> {
  if (config.kind === "memory") {
    return new MemoryBus({ ...(config.retry ? { retry: config.retry } : {}), ...(logger ? { logger } : {}) });
  }
  const { kind: _kind, ...options } = config;
  return RabbitMqBus.connect({ ...options, ...(logger ? { logger } : {}) });
}
