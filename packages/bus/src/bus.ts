/**
 * The Bus port: durable work queues between the api and the controllers.
 *
 * Delivery is at-least-once. A message is acknowledged only after its handler's promise resolved (the
 * handler commits to the database first), so handlers must be idempotent on `(deploymentId, step)`.
 */

import { QUEUES, type QueueName } from "@kli8nt/core";

export type { QueueName };
/** The logical queues of the deployment flow; adapters add their configured prefix. */
export const QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUES);

/** What is published. The body is serialized as JSON; it must never carry secrets. */
export interface BusMessage {
  /** Stable message id (e.g. the outbox row id); a redelivery carries the same id. */
  readonly id: string;
  /** Versioned message type, e.g. `BuildRequested.v1`. */
  readonly type: string;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The minimal shape of a schema (a zod schema fits), used to validate bodies before the handler runs. */
export interface BodySchema<T> {
  safeParse(
    data: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> } };
}

export interface DeliveryContext {
  readonly queue: QueueName;
  readonly id: string;
  readonly type: string;
  readonly headers: Readonly<Record<string, string>>;
  /** 1 on the first delivery, incremented on each redelivery. */
  readonly attempt: number;
}

/** A handler may resolve with this to dead-letter the message without retrying it. */
export interface DeadLetterVerdict {
  readonly deadLetter: string;
}

/**
 * Resolve → ack. Throw an error whose `code` is `MESSAGE_INVALID` (or with `retryable: false`) → dead-letter.
 * Throw anything else → redelivery with backoff, dead-lettered once the attempts are exhausted.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers that return nothing must type-check as-is
export type MessageHandler<T> = (body: T, ctx: DeliveryContext) => Promise<void | DeadLetterVerdict>;

export interface ConsumeOptions {
  /** At most this many handlers of this consumer run at once (and are unacknowledged). */
  readonly prefetch: number;
}

export interface Consumer {
  /** Stops new deliveries and waits for this consumer's in-flight handlers. */
  cancel(): Promise<void>;
}

/** A message in a queue's dead-letter queue, with why it is there and its original body. */
export interface DeadLetter {
  readonly queue: QueueName;
  readonly id: string | undefined;
  readonly type: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: string;
  readonly attempts: number;
  /** The body exactly as it was published (UTF-8), even when it was not valid JSON. */
  readonly rawBody: string;
  readonly deadLetteredAt: string;
}

export interface RetryPolicy {
  /** Deliveries before a message whose handler keeps failing is dead-lettered. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000 };

export interface Bus {
  /** Resolves once the broker has taken responsibility for the message (publisher confirm). */
  publish(queue: QueueName, message: BusMessage): Promise<void>;
  consume<T>(
    queue: QueueName,
    schema: BodySchema<T>,
    handler: MessageHandler<T>,
    options: ConsumeOptions,
  ): Promise<Consumer>;
  /** Removes and returns up to `max` messages from the queue's dead-letter queue (for operators). */
  takeDeadLetters(queue: QueueName, max: number): Promise<DeadLetter[]>;
  /** Stops consuming, waits for in-flight handlers (their acks included), then releases connections. */
  close(): Promise<void>;
}

/** Structural logger (pino fits); the bus never logs message bodies or connection credentials. */
export interface BusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const ignore = (): void => undefined;
export const silentLogger: BusLogger = { info: ignore, warn: ignore, error: ignore };
