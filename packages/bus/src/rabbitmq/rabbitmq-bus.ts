import type { Options } from "amqplib";
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
import { encodeBody } from "../codec.ts";
import { sleep } from "../concurrency.ts";
import { BusError } from "../errors.ts";
import { AmqpConnection, type ReconnectOptions } from "./amqp-connection.ts";
import { deadLetterProperties, toDeadLetter } from "./dead-letters.ts";
import { RabbitConsumer } from "./rabbitmq-consumer.ts";
import { declareTopology, type Names, namesFor } from "./topology.ts";

export interface RabbitMqBusOptions {
  /** amqp(s)://user:password@host:port/vhost; never logged. */
  readonly url: string;
  /** Prepended to every queue and exchange name (default `kli8nt.`); tests use a unique one. */
  readonly prefix?: string;
  readonly retry?: Partial<RetryPolicy>;
  readonly reconnect?: Partial<ReconnectOptions>;
  /** How long publish() keeps retrying through a broker outage before failing with BUS_UNAVAILABLE. */
  readonly publishTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly logger?: BusLogger;
}

/**
 * Bus on RabbitMQ: durable quorum queues with a dead-letter queue each, publisher confirms, manual acks
 * after the handler, per-consumer prefetch, and reconnection that re-declares topology and consumers.
 */
export class RabbitMqBus implements Bus {
  readonly #conn: AmqpConnection;
  readonly #names: Names;
  readonly #policy: RetryPolicy;
  readonly #logger: BusLogger;
  readonly #publishTimeoutMs: number;
  readonly #consumers = new Set<RabbitConsumer<never>>();
  #closed = false;

  private constructor(options: RabbitMqBusOptions) {
    this.#names = namesFor(options.prefix ?? "kli8nt.");
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#logger = options.logger ?? silentLogger;
    this.#publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
    this.#conn = new AmqpConnection(options.url, this.#logger, {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 10_000,
    });
    this.#conn.onConnect(async (model) => {
      const channel = await model.createChannel();
      await declareTopology(channel, this.#names, this.#policy);
      await channel.close();
    });
    this.#conn.onConnect(async (model) => {
      for (const consumer of this.#consumers) await consumer.attach(model);
    });
  }

  /** Connects and declares the topology; fails with BUS_UNAVAILABLE when the broker cannot be reached. */
  static async connect(options: RabbitMqBusOptions): Promise<RabbitMqBus> {
    const bus = new RabbitMqBus(options);
    await bus.#conn.open(options.connectTimeoutMs ?? 30_000);
    return bus;
  }

  get names(): Names {
    return this.#names;
  }

  async publish(queue: QueueName, message: BusMessage): Promise<void> {
    this.#assertOpen();
    const content = encodeBody(message);
    await this.#confirmedPublish("", this.#names.queue(queue), content, {
      persistent: true,
      contentType: "application/json",
      messageId: message.id,
      type: message.type,
      timestamp: Math.floor(Date.now() / 1000),
      headers: { ...message.headers },
    });
  }

  async consume<T>(
    queue: QueueName,
    schema: BodySchema<T>,
    handler: MessageHandler<T>,
    options: ConsumeOptions,
  ): Promise<Consumer> {
    this.#assertOpen();
    const consumer = new RabbitConsumer<T>({
      queue,
      physicalQueue: this.#names.queue(queue),
      schema,
      handler,
      prefetch: options.prefetch,
      policy: this.#policy,
      logger: this.#logger,
      deadLetter: (m, reason, attempts) =>
        this.#confirmedPublish(
          this.#names.deadLetterExchange,
          this.#names.queue(queue),
          m.content,
          deadLetterProperties(m, reason, attempts),
        ),
    });
    const entry = consumer as unknown as RabbitConsumer<never>;
    this.#consumers.add(entry);
    // Attached now if connected; otherwise the next (re)connection attaches it.
    const model = this.#conn.current;
    if (model) await consumer.attach(model);
    return {
      cancel: async () => {
        this.#consumers.delete(entry);
        await consumer.cancel();
      },
    };
  }

  async takeDeadLetters(queue: QueueName, max: number): Promise<DeadLetter[]> {
    const model = await this.#conn.waitConnected(Date.now() + this.#publishTimeoutMs);
    const channel = await model.createChannel();
    channel.on("error", () => undefined);
    try {
      const out: DeadLetter[] = [];
      while (out.length < max) {
        const m = await channel.get(this.#names.deadLetterQueue(queue), { noAck: false });
        if (!m) break;
        out.push(toDeadLetter(queue, m));
        channel.ack(m);
      }
      return out;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#consumers].map((c) => c.cancel()));
    this.#consumers.clear();
    await this.#conn.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new BusError("BUS_CLOSED", "the bus is closed");
  }

  /**
   * Publishes and waits for the broker's confirm. A publish lost with a connection is sent again on the
   * next one (at-least-once: consumers are idempotent) until the publish timeout.
   */
  async #confirmedPublish(exchange: string, routingKey: string, content: Buffer, props: Options.Publish) {
    const deadline = Date.now() + this.#publishTimeoutMs;
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      if (this.#conn.closed) throw new BusError("BUS_CLOSED", "the bus is closed");
      if (Date.now() > deadline) {
        throw new BusError("BUS_UNAVAILABLE", `publish to ${routingKey} not confirmed in time`, {
          cause: lastError,
        });
      }
      try {
        const channel = await this.#conn.confirmChannel(deadline);
        await new Promise<void>((resolve, reject) => {
          channel.publish(exchange, routingKey, content, props, (err: unknown) =>
            err ? reject(err) : resolve(),
          );
        });
        return;
      } catch (err) {
        if ((err as { code?: unknown }).code === "BUS_CLOSED") throw err;
        lastError = err;
        await sleep(Math.min(1000, 20 * attempt));
      }
    }
  }
}
