import type { Producer } from "kafkajs";
import { LogStoreError } from "../errors.ts";

/** One append call waiting for the offsets of its messages. */
type Slot = {
  offsets: number[];
  remaining: number;
  resolve: (o: number[]) => void;
  reject: (e: unknown) => void;
  failed: boolean;
};
type Pending = { value: string; timestamp: string; slot: Slot; index: number };

const MAX_BATCH_BYTES = 512 * 1024;
const MAX_BATCH_MESSAGES = 10_000;

/**
 * Coalesces concurrent appends to a topic into few produce requests: while one request is in flight,
 * new messages queue up and go together in the next. One request per topic at a time keeps offsets in
 * call order; the producer is idempotent with acks=all, so its retries never duplicate or reorder.
 */
export class BatchingProducer {
  private readonly queues = new Map<string, Pending[]>();
  private readonly inFlight = new Set<string>();

  constructor(private readonly producer: Producer) {}

  send(topic: string, messages: readonly { value: string; timestamp: string }[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      const slot: Slot = { offsets: [], remaining: messages.length, resolve, reject, failed: false };
      const queue = this.queues.get(topic) ?? [];
      this.queues.set(topic, queue);
      for (const [index, m] of messages.entries()) queue.push({ ...m, slot, index });
      void this.drain(topic);
    });
  }

  private async drain(topic: string): Promise<void> {
    if (this.inFlight.has(topic)) return;
    this.inFlight.add(topic);
    try {
      const queue = this.queues.get(topic) ?? [];
      while (queue.length > 0) await this.sendChunk(topic, takeChunk(queue));
    } finally {
      this.inFlight.delete(topic);
    }
  }

  private async sendChunk(topic: string, chunk: Pending[]): Promise<void> {
    try {
      const [meta] = await this.producer.send({
        topic,
        acks: -1,
        messages: chunk.map((p) => ({ value: p.value, timestamp: p.timestamp })),
      });
      const base = Number(meta?.baseOffset ?? Number.NaN);
      chunk.forEach((p, k) => {
        p.slot.offsets[p.index] = base + k;
        if (--p.slot.remaining === 0 && !p.slot.failed) p.slot.resolve(p.slot.offsets);
      });
    } catch (error) {
      const failure = new LogStoreError("LOGSTORE_WRITE_FAILED", "Producing log lines to Kafka failed", {
        cause: error,
        details: { topic },
      });
      for (const p of chunk) {
        if (!p.slot.failed) p.slot.reject(failure);
        p.slot.failed = true;
      }
    }
  }
}

function takeChunk(queue: Pending[]): Pending[] {
  let bytes = 0;
  let n = 0;
  while (n < queue.length && n < MAX_BATCH_MESSAGES && (n === 0 || bytes < MAX_BATCH_BYTES)) {
    bytes += (queue[n] as Pending).value.length + 64;
    n++;
  }
  return queue.splice(0, n);
}
