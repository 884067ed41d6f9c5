import { randomBytes } from "node:crypto";
import {
  createApp,
  createDestination,
  createDomain,
  createUser,
  type Database,
  IN_MEMORY,
  openDatabase,
  recordDomainFailure,
  SecretBox,
  schema,
} from "@kli8nt/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepDomainEvents } from "./domain-events.ts";

let database: Database;
const box = new SecretBox(randomBytes(32));
beforeAll(async () => {
  database = await openDatabase({ dataDir: IN_MEMORY });
});
afterAll(() => database.close());

const repo = { url: "https://example.com/r.git", branch: "main", rootDir: "." };
const WINDOW = 15 * 60_000;

describe("domain.error", () => {
  it("queues one notice per failing domain and day, and none for pending or old failures", async () => {
    const db = database.db;
    const owner = await createUser(db, { login: "domain-owner" });
    const app = await createApp(db, owner.id, { name: "site", repository: repo, port: null });
    const { destination } = await createDestination(db, box, {
      ownerId: owner.id,
      appId: app.id,
      kind: "webhook",
      target: "https://hooks.example.test/kli8nt",
      events: ["domain.error"],
    });
    const failing = await createDomain(db, app.id, "www.example.test", false);
    await createDomain(db, app.id, "pending.example.test", false);
    const failure = {
      detail: "Fetching http://www.example.test/.well-known/acme-challenge/x: Connection refused\nmore",
      attempts: 1,
      nextAttemptAt: new Date(Date.now() + 300_000),
      keepActive: false,
    };
    await recordDomainFailure(db, failing.id, failure);

    expect(await sweepDomainEvents(db, new Date(), WINDOW)).toBe(1);
    // The retry five minutes later fails again the same day: nothing new.
    await recordDomainFailure(db, failing.id, { ...failure, attempts: 2 });
    expect(await sweepDomainEvents(db, new Date(), WINDOW)).toBe(0);
    // Outside the window (a failure recorded long ago) nothing is swept.
    expect(await sweepDomainEvents(db, new Date(Date.now() + 2 * WINDOW), WINDOW)).toBe(0);

    const rows = await db
      .select()
      .from(schema.notificationDeliveries)
      .where(eq(schema.notificationDeliveries.destinationId, destination.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.event).toBe("domain.error");
    const payload = rows[0]?.payload as {
      domain: { hostname: string };
      detail: string;
      app: { name: string };
    };
    expect(payload.domain.hostname).toBe("www.example.test");
    expect(payload.app.name).toBe("site");
    expect(payload.detail).toContain("Connection refused");
    expect(payload.detail).not.toContain("more");
  });
});
