import {
  type BodySchema,
  type Bus,
  type BusLogger,
  type BusMessage,
  type ConsumeOptions,
  type Consumer,
  DEFAULT_RETRY_POLICY,
  type DeadLetter,
  type MessageHandler,
  type QueueName,
  type RetryPolicy,
  silentLogger,
} from "../bus.ts";
import { encodeBody, stringHeaders } from "../codec.ts";
import { HandlerGate, sleep } from "../concurrency.ts";
import { BusError } from "../errors.ts";
import { type DeliveryOutcome, processDelivery } from "../process-delivery.ts";

export interface MemoryBusOptions {
  readonly retry?: Partial<RetryPolicy>;
  readonly logger?: BusLogger;
}

/** Bytes and properties of a message, as they would travel on a broker. */
export interface RawMessage {
  readonly content: Buffer;
  readonly id?: string;
  readonly type?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Stored extends RawMessage {
  deliveries: number;
}

interface MemoryConsumer {
  readonly queue: QueueName;
  readonly gate: HandlerGate;
  readonly stop: AbortController;
  readonly run: (message: Stored) => Promise<DeliveryOutcome>;
}

interface MemoryQueue {
  readonly ready: Stored[];
  readonly deadLetters: DeadLetter[];
  readonly consumers: MemoryConsumer[];
  next: number;
}

/**
 * In-process bus with the broker's semantics: at-least-once, ack after the handler, redelivery with
 * backoff, dead-letter queue with reason, bounded prefetch. Not durable: the outbox republishes on restart.
 */
export class MemoryBus implements Bus {
  readonly #queues = new Map<QueueName, MemoryQueue>();
  readonly #policy: RetryPolicy;
  readonly #logger: BusLogger;
  #closed = false;

  constructor(options: MemoryBusOptions = {}) {
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#logger = options.logger ?? silentLogger;
  }

  async publish(queue: QueueName, message: BusMessage): Promise<void> {
    const content = encodeBody(message);
    this.publishRaw(queue, { content, id: message.id, type: message.type, headers: { ...message.headers } });
  }

  /** Enqueues bytes as they are, e.g. a malformed message in a test. */
  publishRaw(queue: QueueName, message: RawMessage): void {
    if (this.#closed) throw new BusError("BUS_CLOSED", "the bus is closed");
    this.#queue(queue).ready.push({ ...message, deliveries: 0 });
    this.#schedule(queue);
  }

  async consume<T>(
    queue: QueueName,
    schema: BodySchema<T>,
    handler: MessageHandler<T>,
    options: ConsumeOptions,
  ): Promise<Consumer> {
    if (this.#closed) throw new BusError("BUS_CLOSED", "the bus is closed");
    const q = this.#queue(queue);
    const consumer: MemoryConsumer = {
      queue,
      gate: new HandlerGate(Math.max(1, options.prefetch)),
      stop: new AbortController(),
      run: (m) =>
        processDelivery(queue, toRaw(m), schema, handler, this.#policy).catch(
          (err: unknown): DeliveryOutcome => ({ kind: "retry", delayMs: 0, error: String(err) }),
        ),
    };
    q.consumers.push(consumer);
    this.#schedule(queue);
    return { cancel: () => this.#cancel(consumer) };
  }

  async takeDeadLetters(queue: QueueName, max: number): Promise<DeadLetter[]> {
    return this.#queue(queue).deadLetters.splice(0, max);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#queues.values()].flatMap((q) => q.consumers);
    await Promise.all(all.map((c) => this.#cancel(c)));
  }

  async #cancel(consumer: MemoryConsumer): Promise<void> {
    const q = this.#queue(consumer.queue);
    const i = q.consumers.indexOf(consumer);
    if (i >= 0) q.consumers.splice(i, 1);
    consumer.stop.abort();
    await consumer.gate.drained();
  }

  #queue(name: QueueName): MemoryQueue {
    let q = this.#queues.get(name);
    if (!q) {
      q = { ready: [], deadLetters: [], consumers: [], next: 0 };
      this.#queues.set(name, q);
    }
    return q;
  }

  // Deliveries start on a later tick, as they would from a broker, so publish never runs a handler inline.
  #schedule(queue: QueueName): void {
    setImmediate(() => this.#dispatch(queue));
  }

  #dispatch(queue: QueueName): void {
    const q = this.#queue(queue);
    while (q.ready.length > 0) {
      const consumer = this.#nextFree(q);
      if (!consumer) return;
      const message = q.ready.shift() as Stored;
      void this.#deliver(q, consumer, message);
    }
  }

  // Round-robin over consumers that still have a prefetch slot.
  #nextFree(q: MemoryQueue): MemoryConsumer | undefined {
    for (let n = 0; n < q.consumers.length; n++) {
      const c = q.consumers[(q.next + n) % q.consumers.length];
      if (c && c.gate.running < c.gate.limit) {
        q.next = (q.next + n + 1) % q.consumers.length;
        return c;
      }
    }
    return undefined;
  }

  async #deliver(q: MemoryQueue, consumer: MemoryConsumer, message: Stored): Promise<void> {
    await consumer.gate.acquire();
    message.deliveries++;
    try {
      const outcome = await consumer.run(message);
      if (outcome.kind === "retry") {
        this.#logger.warn(
          { queue: consumer.queue, id: message.id, error: outcome.error },
          "Requeued message",
        );
        // The slot stays taken during the backoff, as an unacknowledged broker message would.
        await sleep(outcome.delayMs, consumer.stop.signal);
        q.ready.unshift(message);
      } else if (outcome.kind === "dead-letter") {
        q.deadLetters.push(toDeadLetter(consumer.queue, message, outcome.reason));
        this.#logger.warn(
          { queue: consumer.queue, id: message.id, reason: outcome.reason },
          "Dead-lettered message",
        );
      }
    } finally {
      consumer.gate.release();
      this.#schedule(consumer.queue);
    }
  }
}

function toRaw(m: Stored) {
  return {
    content: m.content,
    id: m.id,
    type: m.type,
    headers: stringHeaders(m.headers),
    attempt: m.deliveries,
  };
}

function toDeadLetter(queue: QueueName, m: Stored, reason: string): DeadLetter {
  return {
    queue,
    id: m.id,
    type: m.type,
    headers: stringHeaders(m.headers),
    reason,
    attempts: m.deliveries,
    rawBody: m.content.toString("utf8"),
    deadLetteredAt: new Date().toISOString(),
  };
}
