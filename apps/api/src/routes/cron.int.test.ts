import { claimCronRun, finishCronRun, IS_CI, openTestDatabase, schema, TEST_DATABASE_URL } from "@kli8nt/db";
import { desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createAppVia, type Harness, startHarness } from "../test/harness.ts";

// Cron routes (ADR 0191) on the real api and a real PostgreSQL database.
let h: Harness;
let appId: string;

const alice = () => bearer(h.alice.token);
const create = (body: object, name = "shop", headers = alice()) =>
  h.app.inject({ method: "POST", url: `/api/apps/${name}/cron`, headers, payload: body });
const nightly = { name: "nightly", schedule: "0 3 * * *", command: "python manage.py clearsessions" };

beforeAll(async () => {
  h = await startHarness(
    { KLI8NT_MAX_CRON_JOBS_PER_APP: "3" },
    { database: await openTestDatabase("postgres") },
  );
  appId = await createAppVia(h.app, h.alice.token, "shop");
});
afterAll(async () => h?.close());

describe.skipIf(!TEST_DATABASE_URL && !IS_CI)("cron jobs", () => {
  it("creates a job with its next run, and tells the controllers", async () => {
    const res = await create(nightly);
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe("/api/apps/shop/cron/nightly");
    const job = res.json<{ nextRunAt: string; lastRun: unknown }>();
    expect(job).toMatchObject({ ...nightly, lastRun: null });
    expect(new Date(job.nextRunAt).toISOString()).toMatch(/T03:00:00\.000Z$/);
    expect(new Date(job.nextRunAt).getTime()).toBeGreaterThan(Date.now());
    const [message] = await h.database.db
      .select()
      .from(schema.outbox)
      .where(eq(schema.outbox.queue, "APP"))
      .orderBy(desc(schema.outbox.seq))
      .limit(1);
    expect(message?.payload).toMatchObject({ type: "AppChanged", appId, what: "cron" });
  });

  it("refuses a taken name with 409", async () => {
    const res = await create(nightly);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "CRON_JOB_EXISTS" });
  });

  it.each([
    [{ ...nightly, name: "every", schedule: "* * * * * *" }, "5 fields"],
    [{ ...nightly, name: "every", schedule: "@hourly" }, "5 fields"],
    [{ ...nightly, name: "every", schedule: "0 25 * * *" }, "hour"],
    [{ ...nightly, name: "every", schedule: "0 0 30 2 *" }, "never runs"],
    [{ ...nightly, name: "Every" }, "cron job name"],
    [{ ...nightly, name: "every", command: "echo a\nrm -rf /" }, "single line"],
    [{ ...nightly, name: "every", command: "x".repeat(2001) }, "2000"],
    [{ ...nightly, name: "every", command: "   " }, "command"],
    [{ name: "every", schedule: "* * * * *" }, "command"],
  ])("refuses %j with 400 problem+json saying %s", async (body, why) => {
    const res = await create(body);
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(res.json())).toContain(why);
  });

  it("lists jobs with their next and last run, and pages through a job's runs", async () => {
    expect((await create({ name: "every", schedule: "*/5 * * * *", command: "echo hi" })).statusCode).toBe(
      201,
    );
    const [job] = await h.database.db.select().from(schema.cronJobs).where(eq(schema.cronJobs.name, "every"));
    if (!job) throw new Error("job not stored");
    for (const minute of [0, 5, 10]) {
      const run = await claimCronRun(h.database.db, {
        cronJobId: job.id,
        appId,
        scheduledAt: new Date(Date.UTC(2026, 11, 4, 10, minute)),
        deploymentId: null,
        state: "running",
        startedAt: new Date(),
      });
      if (run) await finishCronRun(h.database.db, run.id, { state: "failed", exitCode: 3, reason: "exit 3" });
    }
    const list = await h.app.inject({ url: "/api/apps/shop/cron", headers: alice() });
    expect(list.statusCode).toBe(200);
    const items = list.json<{ items: { name: string; lastRun: unknown; nextRunAt: string }[] }>().items;
    expect(items.map((i) => i.name)).toEqual(["every", "nightly"]);
    expect(items[0]?.lastRun).toMatchObject({
      scheduledAt: "2026-12-04T10:10:00.000Z",
      state: "failed",
      exitCode: 3,
      reason: "exit 3",
    });

    const page1 = await h.app.inject({ url: "/api/apps/shop/cron/every/runs?limit=2", headers: alice() });
    expect(page1.statusCode).toBe(200);
    const first = page1.json<{ items: { scheduledAt: string }[]; nextCursor: string }>();
    expect(first.items.map((r) => r.scheduledAt)).toEqual([
      "2026-12-04T10:10:00.000Z",
      "2026-12-04T10:05:00.000Z",
    ]);
    const page2 = await h.app.inject({
      url: `/api/apps/shop/cron/every/runs?limit=2&before=${first.nextCursor}`,
      headers: alice(),
    });
    expect(page2.json()).toMatchObject({
      items: [{ scheduledAt: "2026-12-04T10:00:00.000Z" }],
      nextCursor: null,
    });
  });

  it("refuses more jobs than the per-app limit (403)", async () => {
    expect((await create({ name: "third", schedule: "0 * * * *", command: "true" })).statusCode).toBe(201);
    const res = await create({ name: "fourth", schedule: "0 * * * *", command: "true" });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: "CRON_JOB_LIMIT" });
    expect(res.json().detail).toContain("at most 3");
  });

  it("deletes a job with its history; an unknown job is 404", async () => {
    const del = await h.app.inject({ method: "DELETE", url: "/api/apps/shop/cron/every", headers: alice() });
    expect(del.statusCode).toBe(204);
    const runs = await h.database.db.select().from(schema.cronRuns).where(eq(schema.cronRuns.appId, appId));
    expect(runs).toEqual([]);
    const again = await h.app.inject({
      method: "DELETE",
      url: "/api/apps/shop/cron/every",
      headers: alice(),
    });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ code: "CRON_JOB_NOT_FOUND" });
    const history = await h.app.inject({ url: "/api/apps/shop/cron/every/runs", headers: alice() });
    expect(history.statusCode).toBe(404);
  });

  it("is owner-only", async () => {
    const bob = bearer(h.bob.token);
    expect((await create({ ...nightly, name: "evil" }, "shop", bob)).statusCode).toBe(404);
    expect((await h.app.inject({ url: "/api/apps/shop/cron", headers: bob })).statusCode).toBe(404);
    const del = await h.app.inject({ method: "DELETE", url: "/api/apps/shop/cron/nightly", headers: bob });
    expect(del.statusCode).toBe(404);
    expect((await h.app.inject({ url: "/api/apps/shop/cron" })).statusCode).toBe(401);
  });
});
