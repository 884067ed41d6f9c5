import { randomBytes } from "node:crypto";
import {
  createApp,
  createDestination,
  createUser,
  type Database,
  IN_MEMORY,
  openDatabase,
  SecretBox,
  schema,
} from "@kli8nt/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reasonOf, recordBackupFailed } from "./addon-events.ts";

let database: Database;
const box = new SecretBox(randomBytes(32));
beforeAll(async () => {
  database = await openDatabase({ dataDir: IN_MEMORY });
});
afterAll(() => database.close());

const repo = { url: "https://example.com/r.git", branch: "main", rootDir: "." };

describe("addon.backup_failed", () => {
  it("queues one notice per add-on and day, with a reason that carries no credentials", async () => {
    const db = database.db;
    const owner = await createUser(db, { login: "backup-owner" });
    const app = await createApp(db, owner.id, { name: "shop", repository: repo, port: null });
    const { destination } = await createDestination(db, box, {
      ownerId: owner.id,
      appId: app.id,
      kind: "webhook",
      target: "https://hooks.example.test/kli8nt",
      events: ["addon.backup_failed"],
    });
    const error = new Error(
      'pg_dump: error: connection to "postgresql://app_shop:hunter2-secret@10.0.0.5:5432/app_shop" failed\nmore',
    );
    // Days after the destination was made (one made after a happening is not told of it).
    const day = (n: number) => new Date(Date.UTC(2100, 0, n)).toISOString().slice(0, 10);
    const at = (n: number, time: string) => ({
      addonId: "a1",
      appId: app.id,
      type: "postgres",
      error,
      occurredAt: new Date(`${day(n)}T${time}Z`),
    });

    expect(await recordBackupFailed(db, at(1, "03:00:00"))).toBe(1);
    // The resync retries the backup within the day: no second notice.
    expect(await recordBackupFailed(db, at(1, "03:05:00"))).toBe(0);
    expect(await recordBackupFailed(db, at(2, "03:00:00"))).toBe(1);
    expect(await recordBackupFailed(db, { ...at(2, "03:00:00"), appId: "gone" })).toBe(0);

    const rows = await db
      .select()
      .from(schema.notificationDeliveries)
      .where(eq(schema.notificationDeliveries.destinationId, destination.id));
    expect(rows.map((r) => r.eventKey).sort()).toEqual([
      `addon.backup_failed:a1:${day(1)}`,
      `addon.backup_failed:a1:${day(2)}`,
    ]);
    const payload = JSON.stringify(rows[0]?.payload);
    expect(payload).toContain('"name":"shop"');
    expect(payload).toContain("pg_dump: error");
    expect(payload).not.toContain("hunter2");
    expect(payload).not.toContain("more");
  });

  it("keeps the first line of a reason, at most 300 characters", () => {
    expect(reasonOf("x".repeat(400))).toHaveLength(300);
    expect(reasonOf(new Error("a\nb"))).toBe("a");
  });
});
