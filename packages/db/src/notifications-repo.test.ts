import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./apps-repo.ts";
import type { Database } from "./database.ts";
import {
  claimDueDeliveries,
  createDestination,
  enqueueNotification,
  listDeliveries,
  pruneDeliveries,
  recordAttempt,
} from "./notifications-repo.ts";
import { SecretBox } from "./secret-box.ts";
import { openTestDatabase } from "./testing.ts";
import { createUser } from "./users-repo.ts";

let database: Database;
const box = new SecretBox(randomBytes(32));
beforeAll(async () => {
  database = await openTestDatabase("pglite");
});
afterAll(() => database.close());

const repo = { url: "https://example.com/r.git", branch: "main", rootDir: "." };
const later = () => new Date(Date.now() + 1000);

describe("notification queue", () => {
  it("uses the owner's defaults only for apps without their own, and queues each event once", async () => {
    const db = database.db;
    const owner = await createUser(db, { login: "notify-owner" });
    const plain = await createApp(db, owner.id, { name: "plain", repository: repo, port: null });
    const own = await createApp(db, owner.id, { name: "own", repository: repo, port: null });
    const fallback = await createDestination(db, box, {
      ownerId: owner.id,
      appId: null,
      kind: "email",
      target: "ops@example.test",
      events: ["deploy.failed"],
    });
    const mine = await createDestination(db, box, {
      ownerId: owner.id,
      appId: own.id,
      kind: "slack",
      target: "https://hooks.slack.test/services/T0/B0/secretpart",
      events: ["deploy.failed", "deploy.live"],
    });
    expect(mine.destination.target).toBe("https://hooks.slack.test");
    expect(mine.secret).toBeNull();
    const event = (appId: string, key: string, occurredAt = later()) =>
      enqueueNotification(db, {
        appId,
        event: "deploy.failed",
        eventKey: key,
        payload: { k: key },
        occurredAt,
      });

    expect(await event(plain.id, "deploy.failed:d1")).toBe(1);
    expect(await event(plain.id, "deploy.failed:d1")).toBe(0);
    expect(await event(own.id, "deploy.failed:d2")).toBe(1);
    // A happening older than the destination is not sent to it (a late sweep finds old events).
    expect(await event(plain.id, "deploy.failed:d0", new Date(0))).toBe(0);
    expect(await listDeliveries(db, fallback.destination.id)).toHaveLength(1);
    expect(await listDeliveries(db, mine.destination.id)).toHaveLength(1);

    // Claimed with the target decrypted; claimed rows are not claimed again during their lease.
    const due = await claimDueDeliveries(db, box, later(), { limit: 10, leaseMs: 60_000 });
    expect(due.map((d) => d.target).sort()).toEqual([
      "https://hooks.slack.test/services/T0/B0/secretpart",
      "ops@example.test",
    ]);
    expect(await claimDueDeliveries(db, box, later(), { limit: 10, leaseMs: 60_000 })).toEqual([]);
    for (const d of due)
      await recordAttempt(db, d.id, { ok: true, status: 200, error: null, retryAt: null }, new Date());
    expect(await pruneDeliveries(db, new Date(Date.now() - 60_000))).toBe(0);
    expect(await pruneDeliveries(db, later())).toBe(2);
  });
});
