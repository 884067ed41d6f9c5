import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "./database.ts";
import { apps, metricPoints } from "./schema.ts";

/** Status classes the router counts; the same keys as its `RequestMinute.status`. */
export type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx";

/**
 * One minute of one app's process as the router counts it (structurally the router's `RequestMinute`):
 * `latencyBuckets[i]` counts requests at or under the router's i-th latency bound, the last one above all.
 */
export interface RequestMinuteInput {
  readonly app: string;
  readonly process: string;
  /** ISO start of the minute. */
  readonly minute: string;
  readonly requests: number;
  readonly status: Readonly<Record<StatusClass, number>>;
  readonly latencyBuckets: readonly number[];
  readonly latencySumMs: number;
}

/** One resource sample of an app's process, its containers summed (podman stats, the metrics API). */
export interface ResourceSample {
  readonly appId: string;
  readonly process: string;
  readonly at: Date;
  /** Cores busy (1 = one core). */
  readonly cpu: number;
  readonly memoryBytes: number;
}

export const MINUTE = 60;
export const HOUR = 3600;
/** 1-minute points are kept this long, then rolled up into 1-hour points (ADR 0185). */
export const MINUTE_RETENTION_MS = 7 * 24 * 3600 * 1000;
/** 1-hour points are kept this long, then deleted. */
export const HOUR_RETENTION_MS = 90 * 24 * 3600 * 1000;

const floorTo = (ms: number, seconds: number) => new Date(Math.floor(ms / (seconds * 1000)) * seconds * 1000);

/** Element-wise sum in SQL, for merging a histogram into the stored one. */
const addBuckets = sql`(
  select coalesce(array_agg(coalesce(a, 0) + coalesce(b, 0) order by n), '{}'::integer[])
  from unnest(${metricPoints.latencyBuckets}, excluded.latency_buckets) with ordinality as u(a, b, n)
)`;

/**
 * Adds the router's minutes to the stored 1-minute points (a minute written twice adds up, as the router
 * flushes partial minutes). Minutes of apps that no longer exist are dropped. Resolves with the ids of the
 * apps whose points changed, so their open Metrics tabs can be told (ADR 0217).
 */
export async function writeRequestMinutes(db: Db, minutes: readonly RequestMinuteInput[]): Promise<string[]> {
  if (minutes.length === 0) return [];
  const names = [...new Set(minutes.map((m) => m.app))];
  const rows = await db.select({ id: apps.id, name: apps.name }).from(apps).where(inArray(apps.name, names));
  const idOf = new Map(rows.map((r) => [r.name, r.id]));
  const values = minutes.flatMap((m) => {
    const appId = idOf.get(m.app);
    if (!appId) return [];
    return [
      {
        ...emptyPoint(appId, m.process, floorTo(Date.parse(m.minute), MINUTE)),
        resolution: MINUTE,
        requests: m.requests,
        status1xx: m.status["1xx"],
        status2xx: m.status["2xx"],
        status3xx: m.status["3xx"],
        status4xx: m.status["4xx"],
        status5xx: m.status["5xx"],
        latencyBuckets: [...m.latencyBuckets],
        latencySumMs: m.latencySumMs,
      },
    ];
  });
  if (values.length === 0) return [];
  await db
    .insert(metricPoints)
    .values(mergeSameKey(values))
    .onConflictDoUpdate({
      target: [metricPoints.appId, metricPoints.process, metricPoints.resolution, metricPoints.t],
      set: {
        requests: sql`${metricPoints.requests} + excluded.requests`,
        status1xx: sql`${metricPoints.status1xx} + excluded.status_1xx`,
        status2xx: sql`${metricPoints.status2xx} + excluded.status_2xx`,
        status3xx: sql`${metricPoints.status3xx} + excluded.status_3xx`,
        status4xx: sql`${metricPoints.status4xx} + excluded.status_4xx`,
        status5xx: sql`${metricPoints.status5xx} + excluded.status_5xx`,
        latencyBuckets: addBuckets,
        latencySumMs: sql`${metricPoints.latencySumMs} + excluded.latency_sum_ms`,
      },
    });
  return [...new Set(values.map((v) => v.appId))];
}

/**
 * Adds resource samples to their minutes: CPU averages over the samples, memory keeps the highest. Resolves
 * with the ids of the apps written.
 */
export async function writeResourceSamples(db: Db, samples: readonly ResourceSample[]): Promise<string[]> {
  if (samples.length === 0) return [];
  await db
    .insert(metricPoints)
    .values(
      mergeSameKey(
        samples.map((s) => ({
          ...emptyPoint(s.appId, s.process, floorTo(s.at.getTime(), MINUTE)),
          resolution: MINUTE,
          cpuSum: s.cpu,
          cpuSamples: 1,
          memoryBytes: Math.round(s.memoryBytes),
          latencyBuckets: [],
        })),
      ),
    )
    .onConflictDoUpdate({
      target: [metricPoints.appId, metricPoints.process, metricPoints.resolution, metricPoints.t],
      set: {
        cpuSum: sql`${metricPoints.cpuSum} + excluded.cpu_sum`,
        cpuSamples: sql`${metricPoints.cpuSamples} + excluded.cpu_samples`,
        memoryBytes: sql`greatest(${metricPoints.memoryBytes}, excluded.memory_bytes)`,
      },
    });
  return [...new Set(samples.map((s) => s.appId))];
}

/** Like writeResourceSamples, for samplers that know apps by name (container labels); unknown names drop. */
export async function writeNamedResourceSamples(
  db: Db,
  samples: readonly (Omit<ResourceSample, "appId"> & { readonly app: string })[],
): Promise<string[]> {
  if (samples.length === 0) return [];
  const names = [...new Set(samples.map((s) => s.app))];
  const rows = await db.select({ id: apps.id, name: apps.name }).from(apps).where(inArray(apps.name, names));
  const idOf = new Map(rows.map((r) => [r.name, r.id]));
  return await writeResourceSamples(
    db,
    samples.flatMap((s) => {
      const appId = idOf.get(s.app);
      return appId ? [{ appId, process: s.process, at: s.at, cpu: s.cpu, memoryBytes: s.memoryBytes }] : [];
    }),
  );
}

/** Counts restarts of an app's process in the minute they happened. */
export async function recordRestarts(
  db: Db,
  appId: string,
  process: string,
  at: Date,
  count: number,
): Promise<void> {
  if (count <= 0) return;
  await db
    .insert(metricPoints)
    .values({ appId, process, resolution: MINUTE, t: floorTo(at.getTime(), MINUTE), restarts: count })
    .onConflictDoUpdate({
      target: [metricPoints.appId, metricPoints.process, metricPoints.resolution, metricPoints.t],
      set: { restarts: sql`${metricPoints.restarts} + excluded.restarts` },
    });
}

export interface RollupResult {
  readonly rolledUp: number;
  readonly pruned: number;
}

/**
 * Folds 1-minute points older than the minute retention (whole hours only) into 1-hour points and deletes
 * them, in one transaction, then deletes 1-hour points past theirs. Safe to run on any replica at any time:
 * a minute row is either still there or already inside its hour, never both.
 */
export async function rollupMetrics(db: Db, now: Date): Promise<RollupResult> {
  const cutoff = floorTo(now.getTime() - MINUTE_RETENTION_MS, HOUR);
  const hourCutoff = new Date(now.getTime() - HOUR_RETENTION_MS);
  return db.transaction(async (tx) => {
    const old = await tx
      .delete(metricPoints)
      .where(and(eq(metricPoints.resolution, MINUTE), lt(metricPoints.t, cutoff)))
      .returning();
    const hours = new Map<string, PointRow>();
    for (const row of old) {
      const t = floorTo(row.t.getTime(), HOUR);
      const key = `${row.appId}\u0000${row.process}\u0000${t.getTime()}`;
      const into = hours.get(key) ?? { ...emptyPoint(row.appId, row.process, t), latencyBuckets: [] };
      mergeInto(into, row);
      hours.set(key, into);
    }
    const values = [...hours.values()];
    for (let i = 0; i < values.length; i += 500) {
      await tx
        .insert(metricPoints)
        .values(values.slice(i, i + 500))
        .onConflictDoUpdate({
          target: [metricPoints.appId, metricPoints.process, metricPoints.resolution, metricPoints.t],
          set: {
            requests: sql`${metricPoints.requests} + excluded.requests`,
            status1xx: sql`${metricPoints.status1xx} + excluded.status_1xx`,
            status2xx: sql`${metricPoints.status2xx} + excluded.status_2xx`,
            status3xx: sql`${metricPoints.status3xx} + excluded.status_3xx`,
            status4xx: sql`${metricPoints.status4xx} + excluded.status_4xx`,
            status5xx: sql`${metricPoints.status5xx} + excluded.status_5xx`,
            latencyBuckets: addBuckets,
            latencySumMs: sql`${metricPoints.latencySumMs} + excluded.latency_sum_ms`,
            cpuSum: sql`${metricPoints.cpuSum} + excluded.cpu_sum`,
            cpuSamples: sql`${metricPoints.cpuSamples} + excluded.cpu_samples`,
            memoryBytes: sql`greatest(${metricPoints.memoryBytes}, excluded.memory_bytes)`,
            restarts: sql`${metricPoints.restarts} + excluded.restarts`,
          },
        });
    }
    const pruned = await tx
      .delete(metricPoints)
      .where(and(eq(metricPoints.resolution, HOUR), lt(metricPoints.t, hourCutoff)))
      .returning({ t: metricPoints.t });
    return { rolledUp: old.length, pruned: pruned.length };
  });
}

type PointRow = typeof metricPoints.$inferSelect;

/** One row per key: PostgreSQL refuses an upsert that touches a row twice in one statement. */
function mergeSameKey<T extends Partial<PointRow> & { appId: string; process: string; t: Date }>(
  values: T[],
): T[] {
  const byKey = new Map<string, T>();
  for (const v of values) {
    const key = `${v.appId}\u0000${v.process}\u0000${v.t.getTime()}`;
    const into = byKey.get(key);
    if (into) mergeInto(into as unknown as PointRow, { ...emptyPoint(v.appId, v.process, v.t), ...v });
    else byKey.set(key, { ...v, latencyBuckets: [...(v.latencyBuckets ?? [])] });
  }
  return [...byKey.values()];
}

function emptyPoint(appId: string, process: string, t: Date): PointRow {
  return {
    appId,
    process,
    resolution: HOUR,
    t,
    requests: 0,
    status1xx: 0,
    status2xx: 0,
    status3xx: 0,
    status4xx: 0,
    status5xx: 0,
    latencyBuckets: [],
    latencySumMs: 0,
    cpuSum: 0,
    cpuSamples: 0,
    memoryBytes: null,
    restarts: 0,
  };
}

/** Adds `row` into `into`: counters and buckets add, memory keeps the highest. */
export function mergeInto(into: PointRow, row: PointRow): void {
  into.requests += row.requests;
  into.status1xx += row.status1xx;
  into.status2xx += row.status2xx;
  into.status3xx += row.status3xx;
  into.status4xx += row.status4xx;
  into.status5xx += row.status5xx;
  into.latencySumMs += row.latencySumMs;
  into.cpuSum += row.cpuSum;
  into.cpuSamples += row.cpuSamples;
  into.restarts += row.restarts;
  if (row.memoryBytes !== null) into.memoryBytes = Math.max(into.memoryBytes ?? 0, row.memoryBytes);
  row.latencyBuckets.forEach((n, i) => {
    into.latencyBuckets[i] = (into.latencyBuckets[i] ?? 0) + n;
  });
}

/** One step of a process's series: the stored points inside it, merged. */
export interface MetricBucket {
  readonly process: string;
  readonly t: Date;
  readonly requests: number;
  readonly status: Record<StatusClass, number>;
  readonly latencyBuckets: number[];
  readonly latencySumMs: number;
  /** Mean cores busy over the samples, null when none. */
  readonly cpu: number | null;
  readonly memoryBytes: number | null;
  readonly restarts: number;
}

export interface MetricsQuery {
  readonly from: Date;
  readonly to: Date;
  readonly stepSeconds: number;
}

/**
 * An app's points in [from, to) merged into steps of `stepSeconds`, aligned on `from`, per process. Only
 * steps holding a point are returned. Hour rows (older than the minute retention) fall into the step of
 * their start.
 */
export async function queryMetrics(db: Db, appId: string, query: MetricsQuery): Promise<MetricBucket[]> {
  const rows = await db
    .select()
    .from(metricPoints)
    .where(and(eq(metricPoints.appId, appId), gte(metricPoints.t, query.from), lt(metricPoints.t, query.to)))
    .orderBy(metricPoints.process, metricPoints.t);
  const stepMs = query.stepSeconds * 1000;
  const from = query.from.getTime();
  const steps = new Map<string, PointRow>();
  for (const row of rows) {
    const t = new Date(from + Math.floor((row.t.getTime() - from) / stepMs) * stepMs);
    const key = `${row.process}\u0000${t.getTime()}`;
    const into = steps.get(key) ?? { ...emptyPoint(appId, row.process, t), latencyBuckets: [] };
    mergeInto(into, row);
    steps.set(key, into);
  }
  return [...steps.values()].map((p) => ({
    process: p.process,
    t: p.t,
    requests: p.requests,
    status: {
      "1xx": p.status1xx,
      "2xx": p.status2xx,
      "3xx": p.status3xx,
      "4xx": p.status4xx,
      "5xx": p.status5xx,
    },
    latencyBuckets: p.latencyBuckets,
    latencySumMs: p.latencySumMs,
    cpu: p.cpuSamples > 0 ? p.cpuSum / p.cpuSamples : null,
    memoryBytes: p.memoryBytes,
    restarts: p.restarts,
  }));
}

/** Requests and 5xx per app of an owner over [from, to), per step: the dashboard's sparklines. */
export async function requestTotalsByApp(
  db: Db,
  ownerId: string,
  query: MetricsQuery,
): Promise<{ app: string; t: Date; requests: number; errors: number }[]> {
  const step = query.stepSeconds;
  const bucket = sql<Date>`to_timestamp(floor(extract(epoch from ${metricPoints.t}) / ${step}) * ${step})`;
  const rows = await db
    .select({
      app: apps.name,
      t: bucket.as("bucket"),
      requests: sql<number>`sum(${metricPoints.requests})::int`,
      errors: sql<number>`sum(${metricPoints.status5xx})::int`,
    })
    .from(metricPoints)
    .innerJoin(apps, eq(apps.id, metricPoints.appId))
    .where(and(eq(apps.ownerId, ownerId), gte(metricPoints.t, query.from), lt(metricPoints.t, query.to)))
    .groupBy(apps.name, sql`bucket`)
    .orderBy(apps.name, sql`bucket`);
  return rows.map((r) => ({ ...r, t: new Date(r.t) }));
}
