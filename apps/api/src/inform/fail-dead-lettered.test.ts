import { MemoryBus } from "@kli8nt/bus";
import { type DeploymentProgress, MESSAGE_SCHEMAS } from "@kli8nt/core";
import {
  createApp,
  createDeployment,
  type Database,
  ensureAdminUser,
  openTestDatabase,
  schema,
} from "@kli8nt/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyProgress } from "./apply-progress.ts";
import { failDeadLettered } from "./fail-dead-lettered.ts";

// A BUILD message whose handler keeps throwing is dead-lettered by the real in-process bus; the sweep
// fails its deployment with the reason (issue 20: no deployment stays in flight for ever).
let database: Database;
beforeAll(async () => {
  database = await openTestDatabase("pglite");
});
afterAll(() => database.close());

describe("failDeadLettered", () => {
  it("fails the deployment of a dead-lettered message with its reason, once", async () => {
    const db = database.db;
    const admin = await ensureAdminUser(db);
    const app = await createApp(db, admin.id, {
      name: "dead-letter-app",
      repository: { url: "https://example.com/r.git", branch: "main", rootDir: "." },
      port: null,
    });
    const d = await createDeployment(db, app, { trigger: "api" });
    const bus = new MemoryBus({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    let attempts = 0;
    const consumer = await bus.consume(
      "BUILD",
      MESSAGE_SCHEMAS.BUILD,
      async () => {
        attempts++;
        throw new Error("buildah: storage is locked");
      },
      { prefetch: 1 },
    );
    const [build] = await db.select().from(schema.outbox).where(eq(schema.outbox.queue, "BUILD"));
    await bus.publish("BUILD", { id: "b1", type: "BuildRequested", body: build?.payload });
    for (let i = 0; i < 100 && attempts < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await consumer.cancel();

    const errors: object[] = [];
    const failed = await failDeadLettered(db, bus, { error: (o) => void errors.push(o) });
    expect(failed).toEqual([d.id]);
    expect(errors).toHaveLength(1);
    const inform = (await db.select().from(schema.outbox).where(eq(schema.outbox.queue, "INFORM"))).map(
      (r) => r.payload as DeploymentProgress,
    );
    const progress = inform.find((p) => p.deploymentId === d.id && p.state === "failed");
    expect(progress?.reason).toMatch(/^The build step gave up: .*buildah: storage is locked/);
    if (!progress) throw new Error("no failed progress");
    await applyProgress(db, progress);
    const [row] = await db.select().from(schema.deployments).where(eq(schema.deployments.id, d.id));
    expect(row).toMatchObject({ state: "failed", reason: progress.reason });
    expect(await failDeadLettered(db, bus, { error: () => undefined })).toEqual([]);
    await bus.close();
  });
});
