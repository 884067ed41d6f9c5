import { timingSafeEqual } from "node:crypto";
import { NotFoundError, UnauthenticatedError } from "@kli8nt/core";
import { type Db, schema } from "@kli8nt/db";
import { and, gte, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { FastifyPluginAsync } from "fastify";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { ApiDeps } from "../deps.ts";
import { processSignals } from "../metrics/process-signals.ts";

const IN_FLIGHT = ["queued", "building", "built", "deploying"];

/** The platform's own metrics, read from the database at scrape time so every replica tells the same. */
export function platformRegistry(db: Db): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "kli8nt_api_" });
  new Gauge({
    name: "kli8nt_outbox_pending_messages",
    help: "Committed messages not yet published to the bus, per queue (BUILD, DEPLOY, INFORM)",
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db
        .select({ queue: schema.outbox.queue, n: sql<number>`count(*)::int` })
        .from(schema.outbox)
        .where(isNull(schema.outbox.publishedAt))
        .groupBy(schema.outbox.queue);
      for (const r of rows) this.set({ queue: r.queue }, r.n);
    },
  });
  new Gauge({
    name: "kli8nt_deployments_in_flight",
    help: "Deployments queued, building, built or deploying, per state",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const state of IN_FLIGHT) this.set({ state }, 0);
      const rows = await db
        .select({ state: schema.deployments.state, n: sql<number>`count(*)::int` })
        .from(schema.deployments)
        .where(inArray(schema.deployments.state, IN_FLIGHT))
        .groupBy(schema.deployments.state);
      for (const r of rows) this.set({ state: r.state }, r.n);
    },
  });
  new Gauge({
    name: "kli8nt_deployment_duration_seconds",
    help: "Queued-to-finished time of deployments finished in the last hour: mean and max, per outcome",
    labelNames: ["outcome", "stat"],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db
        .select({
          state: schema.deployments.state,
          mean: sql<number>`avg(extract(epoch from ${schema.deployments.finishedAt} - ${schema.deployments.createdAt}))::float8`,
          max: sql<number>`max(extract(epoch from ${schema.deployments.finishedAt} - ${schema.deployments.createdAt}))::float8`,
        })
        .from(schema.deployments)
        .where(
          and(
            isNotNull(schema.deployments.finishedAt),
            gte(schema.deployments.finishedAt, new Date(Date.now() - 3_600_000)),
          ),
        )
        .groupBy(schema.deployments.state);
      for (const r of rows) {
        this.set({ outcome: r.state, stat: "mean" }, r.mean);
        this.set({ outcome: r.state, stat: "max" }, r.max);
      }
    },
  });
  phaseDurations(db, registry);
  new Gauge({
    name: "kli8nt_deployments_degraded",
    help: "Live deployments whose degraded condition is true (crash loop, restarting), per reason",
    labelNames: ["reason"],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.execute(sql`
        select c->>'reason' as reason, count(*)::int as n
        from ${schema.deployments}, jsonb_array_elements(${schema.deployments.conditions}) c
        where ${schema.deployments.state} = 'live' and c->>'type' = 'degraded' and c->>'status' = 'true'
        group by 1`);
      for (const r of (rows as unknown as { rows: { reason: string; n: number }[] }).rows)
        this.set({ reason: r.reason }, r.n);
    },
  });
  new Gauge({
    name: "kli8nt_notification_deliveries",
    help: "Notification deliveries per state (pending ones wait for their next attempt)",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const state of ["pending", "delivered", "failed"]) this.set({ state }, 0);
      const rows = await db
        .select({ state: schema.notificationDeliveries.state, n: sql<number>`count(*)::int` })
        .from(schema.notificationDeliveries)
        .groupBy(schema.notificationDeliveries.state);
      for (const r of rows) this.set({ state: r.state }, r.n);
    },
  });
  // Reconcile errors and log lag, which only the process that runs the controllers sees.
  return Registry.merge([registry, processSignals]);
}

/**
 * Build and deploy phase times of deployments finished in the last hour, from the time their `building`
 * condition turned false with reason Built (its lastTransitionTime): build = queued to built, deploy = built
 * (or queued, for a rollback or restart that builds nothing) to finished.
 */
function phaseDurations(db: Db, registry: Registry): void {
  const rows = async () => {
    const result = await db.execute(sql`
      with d as (
        select ${schema.deployments.state} as state, ${schema.deployments.createdAt} as created_at,
          ${schema.deployments.finishedAt} as finished_at,
          (select (c->>'lastTransitionTime')::timestamptz from jsonb_array_elements(${schema.deployments.conditions}) c
            where c->>'type' = 'building' and c->>'reason' = 'Built' limit 1) as built_at
        from ${schema.deployments}
        where ${schema.deployments.finishedAt} >= ${new Date(Date.now() - 3_600_000)}
      )
      select 'build' as phase, 'built' as outcome,
        avg(extract(epoch from built_at - created_at))::float8 as mean,
        max(extract(epoch from built_at - created_at))::float8 as max
      from d where built_at is not null having count(*) > 0
      union all
      select 'deploy', state, avg(extract(epoch from finished_at - coalesce(built_at, created_at)))::float8,
        max(extract(epoch from finished_at - coalesce(built_at, created_at)))::float8
      from d group by state`);
    return (result as unknown as { rows: { phase: string; outcome: string; mean: number; max: number }[] })
      .rows;
  };
  for (const phase of ["build", "deploy"] as const) {
    new Gauge({
      name: `kli8nt_${phase}_duration_seconds`,
      help:
        phase === "build"
          ? "Queued-to-built time of deployments finished in the last hour: mean and max"
          : "Built-to-finished time (queued-to-finished without a build) of deployments finished in the last hour: mean and max, per outcome",
      labelNames: ["outcome", "stat"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const r of await rows()) {
          if (r.phase !== phase) continue;
          this.set({ outcome: r.outcome, stat: "mean" }, r.mean);
          this.set({ outcome: r.outcome, stat: "max" }, r.max);
        }
      },
    });
  }
}

/**
 * `GET /metrics` in Prometheus text format, for the administrator's scraper: only the admin token opens
 * it, and without one configured the route does not exist.
 */
export function platformMetricsRoutes(deps: ApiDeps): FastifyPluginAsync {
  const token = deps.config.adminToken ? Buffer.from(`Bearer ${deps.config.adminToken}`) : null;
  const registry = platformRegistry(deps.db);
  return async (app) => {
    app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
      if (!token) throw new NotFoundError("METRICS_DISABLED", "Set KLI8NT_ADMIN_TOKEN to serve /metrics");
      const given = Buffer.from(request.headers.authorization ?? "");
      if (given.length !== token.length || !timingSafeEqual(given, token)) {
        throw new UnauthenticatedError("ADMIN_TOKEN_REQUIRED", "Send the admin token as a Bearer token");
      }
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  };
}
