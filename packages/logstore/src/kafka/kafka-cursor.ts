import { randomUUID } from "node:crypto";
import type { Admin, EachBatchPayload, Kafka } from "kafkajs";
import type { CursorPage, LogCursor } from "../backend.ts";
import type { StoredLogRecord } from "../record.ts";
import { decodeValue } from "./record-value.ts";

/** Records fetched ahead of the reader; past this the fetch loop waits (memory stays bounded). */
const BUFFER_RECORDS = 4_000;

/**
 * Reads one app's topic from an offset with a consumer that never commits: a throwaway group id, no
 * auto-commit, and an explicit seek (kafkajs has no manual `assign`, so this is its equivalent).
 * Offsets of our topics are contiguous (no transactions, no compaction), so the cursor accepts only the
 * record at exactly the next expected offset: whatever kafkajs re-delivers around a seek, a rejoin or a
 * broker restart is dropped, and nothing is skipped.
 */
export function openKafkaCursor(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  appId: string,
  from: number,
): LogCursor {
  const consumer = kafka.consumer({
    groupId: `kli8nt-logs-reader-${randomUUID()}`,
    allowAutoTopicCreation: false,
    // An idle fetch returns within 1 s, so close() (which waits for the fetch in flight) is quick.
    maxWaitTimeInMs: 1_000,
  });
  const buffer: StoredLogRecord[] = [];
  let expected = from;
  let end = from;
  let closed = false;
  let wake: (() => void) | undefined;
  let space: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  // kafkajs throws from seek() while its group is being rebuilt (e.g. right after a broker restart); the
  // event handler calling this must never throw, so retry shortly. A late seek costs time, not lines: the
  // cursor only accepts the record at `expected`.
  const seekConsumer = (): void => {
    if (closed) return;
    try {
      consumer.seek({ topic, partition: 0, offset: String(expected) });
    } catch {
      setTimeout(seekConsumer, 200).unref();
    }
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    end = Math.max(end, Number(batch.highWatermark));
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || closed) return;
      const offset = Number(message.offset);
      if (offset === expected) {
        buffer.push(decodeValue(message.value, appId, offset));
        expected = offset + 1;
        notify();
      }
      resolveOffset(message.offset);
      while (buffer.length >= BUFFER_RECORDS && !closed && isRunning() && !isStale()) {
        await new Promise<void>((r) => {
          space = r;
          setTimeout(r, 3_000);
        });
        await heartbeat();
      }
    }
    notify();
  };

  const ready = (async () => {
    const [partition] = await admin.fetchTopicOffsets(topic);
    // Records before the log start were removed by retention: start at the first one kept.
    expected = Math.max(expected, Number(partition?.low ?? 0));
    end = Math.max(end, Number(partition?.high ?? 0));
    await consumer.connect();
    // After any (re)join, kafkajs would start from the earliest offset: move it back to where we are.
    consumer.on(consumer.events.GROUP_JOIN, seekConsumer);
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    seekConsumer();
  })();
  ready.catch(() => undefined);

  return {
    async take(max, { signal, waitMs }): Promise<CursorPage> {
      await ready;
      if (buffer.length === 0 && !closed && !signal?.aborted) {
        await new Promise<void>((resolve) => {
          const timer = waitMs === undefined ? undefined : setTimeout(resolve, waitMs);
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
          };
          wake = done;
          signal?.addEventListener("abort", done, { once: true });
        });
      }
      const records = buffer.splice(0, max);
      space?.();
      return { records, end: Math.max(end, expected), closed };
    },
    seek(offset) {
      buffer.length = 0;
      expected = offset;
      space?.();
      ready.then(seekConsumer, () => undefined);
    },
    async close() {
      if (closed) return;
      closed = true;
      notify();
      space?.();
      await ready.catch(() => undefined);
      await consumer.disconnect();
    },
  };
}
