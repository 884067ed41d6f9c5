import { findCondition } from "@kli8nt/core";
import { type Db, enqueueNotification, schema, toDeployment } from "@kli8nt/db";
import { and, eq, gte, inArray } from "drizzle-orm";
import { deploymentPayload } from "./payload.ts";

type DeploymentRow = typeof schema.deployments.$inferSelect;

/**
 * Queues the notifications a deployment's recorded state calls for: `deploy.live`, `deploy.failed`, and
 * `app.crashed` while its `degraded` condition says CrashLoop. Idempotent (one event key per happening),
 * so the INFORM consumer and the sweep may both call it for the same change. Returns deliveries queued.
 */
export async function recordDeploymentEvents(db: Db, deploymentId: string): Promise<number> {
  const [row] = await db
    .select({ deployment: schema.deployments, appName: schema.apps.name })
    .from(schema.deployments)
    .innerJoin(schema.apps, eq(schema.apps.id, schema.deployments.appId))
    .where(eq(schema.deployments.id, deploymentId));
  if (!row) return 0;
  return queueFor(db, row.deployment, row.appName);
}

async function queueFor(db: Db, row: DeploymentRow, appName: string): Promise<number> {
  const deployment = toDeployment(row);
  const app = { name: appName };
  let queued = 0;
  if (deployment.state === "live" || deployment.state === "failed") {
    const event = deployment.state === "live" ? "deploy.live" : "deploy.failed";
    const occurredAt = deployment.finishedAt ?? deployment.updatedAt;
    queued += await enqueueNotification(db, {
      appId: deployment.appId,
      event,
      eventKey: `${event}:${deployment.id}`,
      payload: deploymentPayload(event, app, deployment, occurredAt),
      occurredAt,
    });
  }
  const degraded = findCondition(deployment.conditions, "degraded");
  if (degraded?.status === "true" && degraded.reason === "CrashLoop") {
    // One notice per crash-loop episode: the transition time changes only when it starts again.
    const occurredAt = new Date(degraded.lastTransitionTime);
    queued += await enqueueNotification(db, {
      appId: deployment.appId,
      event: "app.crashed",
      eventKey: `app.crashed:${deployment.id}:${degraded.lastTransitionTime}`,
      payload: deploymentPayload("app.crashed", app, deployment, occurredAt, degraded.message),
      occurredAt,
    });
  }
  return queued;
}

/**
 * Level-triggered catch-up: every deployment changed in the last `windowMs` gets its events queued (a no-op
 * for those already queued). It finds what no INFORM message announced, such as a crash loop the local
 * runtime recorded, and what a crash between recording and queueing lost.
 */
export async function sweepDeploymentEvents(db: Db, now: Date, windowMs: number): Promise<number> {
  const rows = await db
    .select({ deployment: schema.deployments, appName: schema.apps.name })
    .from(schema.deployments)
    .innerJoin(schema.apps, eq(schema.apps.id, schema.deployments.appId))
    .where(
      and(
        gte(schema.deployments.updatedAt, new Date(now.getTime() - windowMs)),
        inArray(schema.deployments.state, ["live", "failed"]),
      ),
    );
  let queued = 0;
  for (const row of rows) queued += await queueFor(db, row.deployment, row.appName);
  return queued;
}
