import { InputError } from "@kli8nt/core";
import { getApp, type MetricBucket, queryMetrics, requestTotalsByApp, schema } from "@kli8nt/db";
import { and, eq, gte, lt } from "drizzle-orm";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { percentile } from "../metrics/latency.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors } from "../schemas.ts";

/** ISO 8601 or epoch seconds, as the issue promises for `from` and `to`. */
const instant = z
  .string()
  .max(40)
  .refine((v) => parseInstant(v) !== null, "must be an ISO 8601 time or epoch seconds")
  .optional();

export const metricsQuery = z.strictObject({
  from: instant.describe("Start (ISO 8601 or epoch seconds); default: an hour before `to`"),
  to: instant.describe("End, exclusive (ISO 8601 or epoch seconds); default: now"),
  step: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .optional()
    .describe("Seconds per point (≥ 60); default: about 60 points over the range"),
});

function parseInstant(value: string): Date | null {
  const ms = /^\d{1,12}(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms) : null;
}

const statusView = z.object({
  "1xx": z.number(),
  "2xx": z.number(),
  "3xx": z.number(),
  "4xx": z.number(),
  "5xx": z.number(),
});

const pointView = z.object({
  t: z.string(),
  requests: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  status: statusView,
  cpu: z.number().nullable().describe("Cores busy, averaged over the step"),
  memoryBytes: z.number().nullable().describe("Highest memory use in the step"),
  restarts: z.number(),
});

export const metricsView = z.object({
  from: z.string(),
  to: z.string(),
  step: z.number(),
  series: z.array(z.object({ process: z.string(), points: z.array(pointView) })),
  deploys: z.array(
    z.object({
      id: z.string(),
      number: z.number(),
      state: z.string(),
      t: z.string(),
      finishedAt: z.string().nullable(),
    }),
  ),
});

const MAX_POINTS = 1500;

export interface MetricsRange {
  readonly from: Date;
  readonly to: Date;
  readonly stepSeconds: number;
}

/** The range a query asks for, with defaults; a reversed or too fine one is METRICS_RANGE_INVALID. */
export function metricsRange(query: z.output<typeof metricsQuery>, now: Date): MetricsRange {
  const to = query.to ? (parseInstant(query.to) as Date) : now;
  const from = query.from ? (parseInstant(query.from) as Date) : new Date(to.getTime() - 3_600_000);
  const spanS = (to.getTime() - from.getTime()) / 1000;
  if (spanS <= 0) throw new InputError("METRICS_RANGE_INVALID", "`from` must be before `to`");
  const stepSeconds = query.step ?? Math.max(60, Math.ceil(spanS / 60 / 60) * 60);
  if (spanS / stepSeconds > MAX_POINTS) {
    throw new InputError(
      "METRICS_RANGE_INVALID",
      `That is ${Math.ceil(spanS / stepSeconds)} points; ask for at most ${MAX_POINTS} (a larger step or a shorter range)`,
    );
  }
  return { from, to, stepSeconds };
}

export function toPoint(b: MetricBucket) {
  return {
    t: b.t.toISOString(),
    requests: b.requests,
    p50Ms: percentile(b.latencyBuckets, 0.5),
    p95Ms: percentile(b.latencyBuckets, 0.95),
    p99Ms: percentile(b.latencyBuckets, 0.99),
    status: b.status,
    cpu: b.cpu,
    memoryBytes: b.memoryBytes,
    restarts: b.restarts,
  };
}

/** Per-app request and resource series, with deploy markers; owner only, like every app route. */
export function metricsRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db } = deps;
  return async (app) => {
    app.get(
      "/apps/:name/metrics",
      {
        schema: {
          tags: ["metrics"],
          summary: "Requests, latency percentiles, status classes, CPU and memory per process, and deploys",
          params: appNameParams,
          querystring: metricsQuery,
          response: { 200: metricsView, ...commonErrors },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const range = metricsRange(request.query, new Date());
        const buckets = await queryMetrics(db, found.id, range);
        const byProcess = new Map<string, ReturnType<typeof toPoint>[]>();
        for (const b of buckets) byProcess.set(b.process, [...(byProcess.get(b.process) ?? []), toPoint(b)]);
        const deploys = await db
          .select()
          .from(schema.deployments)
          .where(
            and(
              eq(schema.deployments.appId, found.id),
              gte(schema.deployments.createdAt, range.from),
              lt(schema.deployments.createdAt, range.to),
            ),
          )
          .orderBy(schema.deployments.createdAt);
        return {
          from: range.from.toISOString(),
          to: range.to.toISOString(),
          step: range.stepSeconds,
          series: [...byProcess].map(([process, points]) => ({ process, points })),
          deploys: deploys.map((d) => ({
            id: d.id,
            number: d.number,
            state: d.state,
            t: d.createdAt.toISOString(),
            finishedAt: d.finishedAt?.toISOString() ?? null,
          })),
        };
      },
    );

    app.get(
      "/metrics/summary",
      {
        schema: {
          tags: ["metrics"],
          summary: "Requests and 5xx per app of the caller over the last 24 h in hourly steps (sparklines)",
          response: {
            200: z.object({
              apps: z.array(
                z.object({
                  app: z.string(),
                  points: z.array(z.object({ t: z.string(), requests: z.number(), errors: z.number() })),
                }),
              ),
            }),
            ...commonErrors,
          },
        },
      },
      async (request) => {
        const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
        const rows = await requestTotalsByApp(db, requireUser(request).id, {
          from: new Date(to.getTime() - 24 * 3_600_000),
          to,
          stepSeconds: 3600,
        });
        // Every hour of the day, zeros included, so sparklines of all apps share one time axis.
        const hours = Array.from({ length: 24 }, (_, i) => new Date(to.getTime() - (24 - i) * 3_600_000));
        const apps = new Map<string, Map<number, { requests: number; errors: number }>>();
        for (const r of rows) {
          const byHour = apps.get(r.app) ?? new Map();
          byHour.set(r.t.getTime(), { requests: r.requests, errors: r.errors });
          apps.set(r.app, byHour);
        }
        const points = (byHour: Map<number, { requests: number; errors: number }>) =>
          hours.map((h) => ({
            t: h.toISOString(),
            ...(byHour.get(h.getTime()) ?? { requests: 0, errors: 0 }),
          }));
        return { apps: [...apps].map(([name, byHour]) => ({ app: name, points: points(byHour) })) };
      },
    );
  };
}
