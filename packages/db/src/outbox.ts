import { newId, type QueueName } from "@kli8nt/core";
import { asc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "./database.ts";
import { outbox } from "./schema.ts";

/** A transaction handle or the database itself: both can write an outbox row. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0] | Db;

export interface OutboxMessage {
  readonly messageId: string;
  readonly queue: QueueName;
  readonly payload: unknown;
}

/** Writes a message row in the caller's transaction; the relay publishes it after commit. */
export async function enqueueMessage(tx: Tx, queue: QueueName, payload: unknown): Promise<string> {
  const messageId = newId("msg");
  await tx.insert(outbox).values({ messageId, queue, payload });
  return messageId;
}

export type Publish = (message: OutboxMessage) => Promise<void>;

/**
 * Claims a batch of unpublished rows (SKIP LOCKED, so several relays can run), publishes them in order and
 * marks them. A crash between publish and mark publishes again: delivery is at least once and every consumer
 * is idempotent. Returns how many rows were published.
 */
export async function relayOutboxBatch(db: Db, publish: Publish, batchSize = 100): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(outbox)
      .where(isNull(outbox.publishedAt))
      .orderBy(asc(outbox.seq))
      .limit(batchSize)
      .for("update", { skipLocked: true });
    const published: number[] = [];
    for (const row of rows) {
      try {
        await publish({ messageId: row.messageId, queue: row.queue as QueueName, payload: row.payload });
        published.push(row.seq);
      } catch (error) {
        await tx
          .update(outbox)
          .set({
            attempts: sql`${outbox.attempts} + 1`,
            lastError: String((error as Error).message).slice(0, 500),
          })
          .where(eq(outbox.seq, row.seq));
        break; // keep per-queue order: later rows wait for this one
      }
    }
    if (published.length > 0) {
      await tx.update(outbox).set({ publishedAt: new Date() }).where(inArray(outbox.seq, published));
    }
    return published.length;
  });
}

export async function countUnpublished(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(outbox)
    .where(isNull(outbox.publishedAt));
  return row?.n ?? 0;
}
