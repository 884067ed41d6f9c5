import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./apps-repo.ts";
import type { Database } from "./database.ts";
import {
  HOUR,
  MINUTE,
  queryMetrics,
  type RequestMinuteInput,
  recordRestarts,
  requestTotalsByApp,
  rollupMetrics,
  writeRequestMinutes,
  writeResourceSamples,
} from "./metrics-repo.ts";
import { metricPoints } from "./schema.ts";
import { openTestDatabase } from "./testing.ts";
import { ensureAdminUser } from "./users-repo.ts";

let database: Database;
let appId: string;
let ownerId: string;
beforeAll(async () => {
  database = await openTestDatabase("pglite");
  const admin = await ensureAdminUser(database.db);
  ownerId = admin.id;
  const app = await createApp(database.db, admin.id, {
    name: "metrics-app",
    repository: { url: "https://example.com/r.git", branch: "main", rootDir: "." },
    port: null,
  });
  appId = app.id;
});
afterAll(() => database.close());

const minute = (iso: string, requests: number, buckets: number[], fives = 0): RequestMinuteInput => ({
  app: "metrics-app",
  process: "web",
  minute: iso,
  requests,
  status: { "1xx": 0, "2xx": requests - fives, "3xx": 0, "4xx": 0, "5xx": fives },
  latencyBuckets: buckets,
  latencySumMs: requests * 10,
});

describe("metrics storage", () => {
  it("adds minutes written twice, merges histograms over a step, and keeps apps apart", async () => {
    const db = database.db;
    await writeRequestMinutes(db, [
      minute("2026-12-01T10:00:00.000Z", 10, [4, 6, 0]),
      minute("2026-12-01T10:01:00.000Z", 20, [0, 10, 10], 3),
      { ...minute("2026-12-01T10:00:00.000Z", 99, [99]), app: "no-such-app" },
    ]);
    // The router flushes a partial minute again: the counts add.
    await writeRequestMinutes(db, [minute("2026-12-01T10:01:00.000Z", 5, [5, 0, 0, 1], 1)]);
    await writeResourceSamples(db, [
      { appId, process: "web", at: new Date("2026-12-01T10:00:10Z"), cpu: 0.5, memoryBytes: 100 },
      { appId, process: "web", at: new Date("2026-12-01T10:00:40Z"), cpu: 0.25, memoryBytes: 300 },
    ]);
    await recordRestarts(db, appId, "web", new Date("2026-12-01T10:01:30Z"), 2);

    const perMinute = await queryMetrics(db, appId, {
      from: new Date("2026-12-01T10:00:00Z"),
      to: new Date("2026-12-01T10:05:00Z"),
      stepSeconds: 60,
    });
    expect(perMinute).toHaveLength(2);
    expect(perMinute[0]).toMatchObject({ requests: 10, cpu: 0.375, memoryBytes: 300 });
    expect(perMinute[1]).toMatchObject({
      requests: 25,
      status: { "2xx": 21, "5xx": 4 },
      latencyBuckets: [5, 10, 10, 1],
      restarts: 2,
    });

    const [fiveMinutes, ...rest] = await queryMetrics(db, appId, {
      from: new Date("2026-12-01T10:00:00Z"),
      to: new Date("2026-12-01T10:05:00Z"),
      stepSeconds: 300,
    });
    expect(rest).toEqual([]);
    expect(fiveMinutes).toMatchObject({
      process: "web",
      t: new Date("2026-12-01T10:00:00Z"),
      requests: 35,
      status: { "1xx": 0, "2xx": 31, "3xx": 0, "4xx": 0, "5xx": 4 },
      latencyBuckets: [9, 16, 10, 1],
      latencySumMs: 350,
    });

    const sparkline = await requestTotalsByApp(db, ownerId, {
      from: new Date("2026-12-01T10:00:00Z"),
      to: new Date("2026-12-01T10:05:00Z"),
      stepSeconds: 300,
    });
    expect(sparkline).toEqual([
      { app: "metrics-app", t: new Date("2026-12-01T10:00:00Z"), requests: 35, errors: 4 },
    ]);
  });

  it("rolls minutes older than 7 days into hours, prunes hours older than 90 days, and bounds the size", async () => {
    const db = database.db;
    await db.delete(metricPoints);
    const now = new Date("2026-12-10T00:00:00Z");
    // 8 days of 1-minute points with a 12-bucket histogram: what a busy app's web process writes.
    const start = now.getTime() - 8 * 24 * 3600 * 1000;
    const buckets = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    for (let day = 0; day < 8; day++) {
      const minutes: RequestMinuteInput[] = [];
      for (let m = 0; m < 1440; m++) {
        const iso = new Date(start + (day * 1440 + m) * 60_000).toISOString();
        minutes.push(minute(iso, 78, buckets, 1));
      }
      await writeRequestMinutes(db, minutes);
    }
    await db.insert(metricPoints).values({
      appId,
      process: "web",
      resolution: HOUR,
      t: new Date(now.getTime() - 91 * 24 * 3600 * 1000),
      requests: 1,
    });

    const result = await rollupMetrics(db, now);
    expect(result).toEqual({ rolledUp: 1440, pruned: 1 });
    const counts = await db
      .select({ resolution: metricPoints.resolution, n: sql<number>`count(*)::int` })
      .from(metricPoints)
      .groupBy(metricPoints.resolution)
      .orderBy(metricPoints.resolution);
    expect(counts).toEqual([
      { resolution: MINUTE, n: 7 * 1440 },
      { resolution: HOUR, n: 24 },
    ]);
    const [hour] = await queryMetrics(db, appId, {
      from: new Date(start),
      to: new Date(start + 3600_000),
      stepSeconds: 3600,
    });
    expect(hour).toMatchObject({
      requests: 78 * 60,
      status: { "5xx": 60 },
      latencyBuckets: buckets.map((b) => b * 60),
    });
    // Again: nothing left to roll up, and nothing counted twice.
    expect(await rollupMetrics(db, now)).toEqual({ rolledUp: 0, pruned: 0 });

    // At full retention one process holds 7 days of minutes + 83 days of hours: measured, then bounded.
    await db.execute(sql`vacuum metric_points`);
    const size = (await db.execute(
      sql`select pg_total_relation_size('metric_points')::int as bytes`,
    )) as unknown as { rows: { bytes: number }[] };
    const bytes = size.rows[0]?.bytes ?? 0;
    const rows = 7 * 1440 + 24;
    const perRow = bytes / rows;
    const fullRetention = perRow * (7 * 1440 + 83 * 24);
    console.log(
      `metric_points: ${bytes} bytes for ${rows} rows (${perRow.toFixed(0)} B/row); full retention per process ≈ ${(fullRetention / 1e6).toFixed(2)} MB`,
    );
    expect(fullRetention).toBeLessThan(5 * 1024 * 1024);
  }, 60_000);
});
