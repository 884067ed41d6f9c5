import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import type { BodySchema, BusLogger, MessageHandler, QueueName, RetryPolicy } from "../bus.ts";
import { stringHeaders } from "../codec.ts";
import { HandlerGate, sleep } from "../concurrency.ts";
import { type DeliveryOutcome, processDelivery } from "../process-delivery.ts";

export interface ConsumerSpec<T> {
  readonly queue: QueueName;
  readonly physicalQueue: string;
  readonly schema: BodySchema<T>;
  readonly handler: MessageHandler<T>;
  readonly prefetch: number;
  readonly policy: RetryPolicy;
  readonly logger: BusLogger;
  /** Publishes (with confirm) a copy of the message to the dead-letter queue with the reason. */
  readonly deadLetter: (message: ConsumeMessage, reason: string, attempts: number) => Promise<void>;
}

// Ids whose handler succeeded but whose ack was lost with the channel: the redelivery is acked unprocessed.
const REMEMBERED_IDS = 10_000;

/**
 * One consumer on its own channel (so prefetch is per consumer), re-attached after every reconnect.
 * Acks only after the handler resolved; a closed channel returns unacked messages to the queue.
 */
export class RabbitConsumer<T> {
  readonly #gate: HandlerGate;
  readonly #stop = new AbortController();
  readonly #doneUnacked = new Set<string>();
  readonly #inflight = new Map<string, Promise<void>>();
  #channel: Channel | undefined;
  #tag: string | undefined;

  constructor(private readonly spec: ConsumerSpec<T>) {
    this.#gate = new HandlerGate(Math.max(1, spec.prefetch));
  }

  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  async attach(model: ChannelModel): Promise<void> {
    if (this.stopped) return;
    const channel = await model.createChannel();
    channel.on("error", (err: Error) =>
      this.spec.logger.warn({ queue: this.spec.queue, err: err.message }, "Got a consumer channel error"),
    );
    await channel.prefetch(this.spec.prefetch);
    this.#channel = channel;
    const { consumerTag } = await channel.consume(this.spec.physicalQueue, (m) => {
      if (m) void this.#handle(channel, m);
    });
    this.#tag = consumerTag;
  }

  /** Stops deliveries, lets running handlers finish and ack, then closes the channel. */
  async cancel(): Promise<void> {
    this.#stop.abort();
    const channel = this.#channel;
    if (channel && this.#tag) await channel.cancel(this.#tag).catch(() => undefined);
    await this.#gate.drained();
    await channel?.close().catch(() => undefined);
  }

  async #handle(channel: Channel, m: ConsumeMessage): Promise<void> {
    const id = typeof m.properties.messageId === "string" ? m.properties.messageId : undefined;
    const prior = id === undefined ? undefined : this.#inflight.get(id);
    const run = (prior ?? Promise.resolve()).then(() => this.#handleInGate(channel, m, id));
    if (id === undefined) return run;
    // A redelivery after a reconnect can arrive while the first delivery's handler still runs: it waits.
    this.#inflight.set(id, run);
    try {
      await run;
    } finally {
      if (this.#inflight.get(id) === run) this.#inflight.delete(id);
    }
  }

  async #handleInGate(channel: Channel, m: ConsumeMessage, id: string | undefined): Promise<void> {
    await this.#gate.acquire();
    try {
      // A closing consumer leaves the message unacked: the channel's close returns it to the queue.
      if (this.stopped) return;
      if (id && m.fields.redelivered && this.#doneUnacked.delete(id)) {
        this.#settle(channel, m, true);
        return;
      }
      const attempt = deliveryCount(m) + 1;
      const outcome = await processDelivery(
        this.spec.queue,
        {
          content: m.content,
          id,
          type: m.properties.type,
          headers: stringHeaders(m.properties.headers),
          attempt,
        },
        this.spec.schema,
        this.spec.handler,
        this.spec.policy,
      );
      await this.#apply(channel, m, outcome, attempt, id);
    } finally {
      this.#gate.release();
    }
  }

  async #apply(channel: Channel, m: ConsumeMessage, outcome: DeliveryOutcome, attempt: number, id?: string) {
    const log = { queue: this.spec.queue, id, attempt };
    if (outcome.kind === "ack") {
      if (!this.#settle(channel, m, true) && id) this.#remember(id);
    } else if (outcome.kind === "retry") {
      this.spec.logger.warn({ ...log, err: outcome.error, delayMs: outcome.delayMs }, "Requeued message");
      // The message stays unacked (holding its prefetch slot) during the backoff, then goes back.
      await sleep(outcome.delayMs, this.#stop.signal);
      this.#settle(channel, m, false);
    } else {
      try {
        await this.spec.deadLetter(m, outcome.reason, attempt);
        this.#settle(channel, m, true);
        this.spec.logger.warn({ ...log, reason: outcome.reason }, "Dead-lettered message");
      } catch (err) {
        // Not acked: the broker redelivers it and the dead-lettering is tried again.
        this.spec.logger.warn({ ...log, err: String(err) }, "Failed to dead-letter message");
        this.#settle(channel, m, false);
      }
    }
  }

  /** Acks (or requeues); false when the channel is gone, in which case the broker redelivers. */
  #settle(channel: Channel, m: ConsumeMessage, ack: boolean): boolean {
    try {
      if (ack) channel.ack(m);
      else channel.nack(m, false, true);
      return true;
    } catch {
      return false;
    }
  }

  #remember(id: string): void {
    if (this.#doneUnacked.size >= REMEMBERED_IDS) {
      const oldest = this.#doneUnacked.values().next().value;
      if (oldest !== undefined) this.#doneUnacked.delete(oldest);
    }
    this.#doneUnacked.add(id);
  }
}

/** Quorum queues count returns to the queue in `x-delivery-count`. */
function deliveryCount(m: ConsumeMessage): number {
  const n = m.properties.headers?.["x-delivery-count"];
  return typeof n === "number" && Number.isFinite(n) ? n : 0;
}
