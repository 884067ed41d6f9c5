import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { newId } from "@kli8nt/core";
import {
  createApp,
  createCronJob,
  createUser,
  type Database,
  deleteCronJob,
  openTestDatabase,
  replaceEnv,
  SecretBox,
  schema,
  setAppLifecycle,
} from "@kli8nt/db";
import { createFileLogStore, type LogStore } from "@kli8nt/logstore";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunLogCapture } from "../run-log-capture.ts";
import type { RuntimeSubject } from "../runtime-contract.ts";
import { CronScheduler, type CronSchedulerSettings } from "./cron-scheduler.ts";

const MINUTE = 60_000;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The local cron scheduler on a real PostgreSQL database, a real runtime (`subject`: podman or host
 * processes) and the file log store. The clock is injected: minutes pass without waiting for them.
 */
export function runCronSchedulerSuite(name: string, setup: () => Promise<RuntimeSubject>, timeout = 120_000) {
  describe(`cron scheduler on ${name}`, { timeout }, () => {
    let database: Database;
    let subject: RuntimeSubject;
    let logs: LogStore;
    let logDir: string;
    let app: { id: string; name: string };
    const box = new SecretBox(Buffer.alloc(32, 7));
    /** A minute boundary ahead of the database's clock, so every job exists before its first run. */
    const base = (Math.floor(Date.now() / MINUTE) + 2) * MINUTE;
    let clock = new Date(base);
    const at = (minute: number, seconds = 0) => {
      clock = new Date(base + minute * MINUTE + seconds * 1000);
    };

    const scheduler = (settings: Partial<CronSchedulerSettings> = {}) => {
      const capture = new RunLogCapture({
        engine: {},
        append: async (appId, records) => void (await logs.append(appId, records)),
        lastTimestamp: async () => null,
        onError: (err) => {
          throw err;
        },
        flushMs: 10,
      });
      return new CronScheduler({
        db: database.db,
        box,
        runtime: subject.runtime,
        oneOffLog: (run, phase) => capture.oneOff(run, phase),
        settings: { memory: "128Mi", cpu: "0.25", tickMs: 3_600_000, stopGraceMs: 500, ...settings },
        logger: quiet,
        now: () => clock,
      });
    };
    const runsOf = async (jobId: string) =>
      database.db
        .select()
        .from(schema.cronRuns)
        .where(eq(schema.cronRuns.cronJobId, jobId))
        .orderBy(asc(schema.cronRuns.scheduledAt));
    const job = (jobName: string, schedule: string, command: string, of = app) =>
      createCronJob(database.db, of, { name: jobName, schedule, command }, 20);

    beforeAll(async () => {
      database = await openTestDatabase("postgres");
      subject = await setup();
      logDir = mkdtempSync(path.join(tmpdir(), "kli8nt-cron-logs-"));
      logs = createFileLogStore({ dataDir: logDir });
      const owner = await createUser(database.db, { login: "cron-owner" });
      app = await createApp(database.db, owner.id, {
        name: `cron-${Date.now().toString(36)}`,
        repository: { url: "https://github.com/acme/cron", branch: "main", rootDir: "." },
        port: null,
      });
      await database.db.insert(schema.deployments).values({
        id: newId("dep"),
        appId: app.id,
        number: 1,
        state: "live",
        trigger: "manual",
        ref: "main",
        image: await subject.oneOffImage(),
      });
      await replaceEnv(database.db, box, app.id, [{ key: "GREETING", value: "hello", secret: false }]);
    }, timeout);
    afterAll(async () => {
      await subject?.close();
      await logs?.close();
      await database?.close();
      if (logDir) rmSync(logDir, { recursive: true, force: true });
    });

    it("runs a job every minute exactly once per minute across restarts, two schedulers and downtime", async () => {
      const every = await job("every", "* * * * *", 'echo "tick $GREETING"');
      at(0, 10);
      const a = scheduler();
      await a.start();
      await a.idle();
      at(0, 40);
      await a.tick();
      at(1, 5);
      await a.tick();
      await a.idle();
      await a.stop();

      // A restarted platform within the same minute: nothing runs again.
      at(1, 30);
      const b = scheduler();
      await b.start();
      // A second scheduler on the same database, ticking at the same instant: one of them runs minute 2.
      const c = scheduler();
      at(2, 1);
      await Promise.all([b.tick(), c.tick(), b.tick()]);
      await Promise.all([b.idle(), c.idle()]);
      await b.stop();

      // Down through minutes 3 and 4: back at 5:30, only minute 5 runs, no backlog.
      at(5, 30);
      const d = scheduler();
      await d.start();
      await d.idle();
      await d.stop();

      const runs = await runsOf(every.id);
      expect(runs.map((r) => (r.scheduledAt.getTime() - base) / MINUTE)).toEqual([0, 1, 2, 5]);
      expect(runs.map((r) => [r.state, r.exitCode])).toEqual(Array(4).fill(["succeeded", 0]));
      const lines = (await logs.read(app.id, { phase: "cron" })).records.filter(
        (r) => r.line === "tick hello",
      );
      expect(lines).toHaveLength(4);
      expect(lines.every((r) => r.source === "cron-every" && r.stream === "stdout")).toBe(true);
      await deleteCronJob(database.db, app, "every");
    });

    it("skips a minute while the previous run still runs (Forbid)", async () => {
      const slow = await job("slow", "* * * * *", "sleep 3; echo done");
      const s = scheduler();
      at(10, 1);
      await s.tick();
      at(11, 1);
      await s.tick();
      await s.idle();
      const runs = await runsOf(slow.id);
      expect(runs.map((r) => [r.state, r.reason])).toEqual([
        ["succeeded", null],
        ["skipped", "The previous run was still running"],
      ]);
      await deleteCronJob(database.db, app, "slow");
    });

    it("records a failing command's exit code with its last output", async () => {
      const bad = await job("bad", "* * * * *", 'echo "no such table: orders ($DB_PASSWORD)" >&2; exit 3');
      await replaceEnv(database.db, box, app.id, [
        { key: "GREETING", value: "hello", secret: false },
        { key: "DB_PASSWORD", value: "hunter2-very-secret", secret: true },
      ]);
      const s = scheduler();
      at(20, 1);
      await s.tick();
      await s.idle();
      const [run] = await runsOf(bad.id);
      expect(run).toMatchObject({ state: "failed", exitCode: 3 });
      expect(run?.reason).toContain("exited with code 3");
      expect(run?.reason).toContain("no such table: orders (****)");
      expect(run?.reason).not.toContain("hunter2");
      expect(run?.finishedAt).toEqual(clock);
      await deleteCronJob(database.db, app, "bad");
    });

    it("kills a run still going when the platform stops, and records it failed", async () => {
      const long = await job("long", "* * * * *", "sleep 60");
      const s = scheduler();
      at(30, 1);
      await s.tick();
      await s.stop();
      const [run] = await runsOf(long.id);
      expect(run).toMatchObject({ state: "failed" });
      expect(run?.reason).toContain("The platform stopped while it ran");
      await deleteCronJob(database.db, app, "long");
    });

    it("records a time missed past the starting deadline as skipped, and runs nothing older", async () => {
      const hourly = await job("hourly", "0 * * * *", "echo hourly");
      const s = scheduler({ startingDeadlineMs: MINUTE });
      // Five minutes past a full hour, with a deadline of one minute.
      clock = new Date(Math.ceil((base + 3 * 60 * MINUTE) / (60 * MINUTE)) * 60 * MINUTE + 5 * MINUTE);
      await s.tick();
      const runs = await runsOf(hourly.id);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ state: "skipped" });
      expect(runs[0]?.reason).toMatch(/^Missed/);
      await deleteCronJob(database.db, app, "hourly");
    });

    it("says once that an app has no live release, and leaves a stopped app's jobs alone", async () => {
      const owner = await createUser(database.db, { login: `cron-${Date.now()}` });
      const bare = await createApp(database.db, owner.id, {
        name: `bare-${Date.now().toString(36)}`,
        repository: { url: "https://github.com/acme/bare", branch: "main", rootDir: "." },
        port: null,
      });
      const waiting = await job("waiting", "* * * * *", "true", bare);
      const paused = await job("paused", "* * * * *", "true");
      await setAppLifecycle(database.db, app.id, { stopped: true });
      const s = scheduler();
      for (const minute of [40, 41, 42]) {
        at(minute, 1);
        await s.tick();
      }
      expect((await runsOf(waiting.id)).map((r) => [r.state, r.reason])).toEqual([
        ["skipped", "The app has no live release to run it in"],
      ]);
      expect(await runsOf(paused.id)).toEqual([]);
      await setAppLifecycle(database.db, app.id, { stopped: false });
    });
  });
}
