import { type DeployRequested, WorkQueue } from "@kli8nt/core";
import { type Db, schema } from "@kli8nt/db";
import { and, eq, sql } from "drizzle-orm";
import type { DeployDeps } from "./deploy-handler.ts";
import { loadDeployment, moveDeployment } from "./deployment-rows.ts";

/**
 * Persists what a DeployRequested asks for on the deployment row (its port, and its image when the row has
 * none yet), so the message can be acknowledged and the deploy driven from the database alone.
 */
export async function recordDeployRequest(db: Db, message: DeployRequested): Promise<void> {
  await db
    .update(schema.deployments)
    .set({
      port: sql`coalesce(${schema.deployments.port}, ${message.port})`,
      image: sql`coalesce(${schema.deployments.image}, ${message.image})`,
      // Fixed with the image: what the build found the release runs, and runs before it takes traffic.
      ...(message.processes === undefined
        ? {}
        : {
            processes: sql`coalesce(${schema.deployments.processes}, ${JSON.stringify(message.processes)}::jsonb)`,
          }),
      ...(message.releaseCommand
        ? { releaseCommand: sql`coalesce(${schema.deployments.releaseCommand}, ${message.releaseCommand})` }
        : {}),
    })
    .where(eq(schema.deployments.id, message.deploymentId));
}

/** The DeployRequested a deployment row stands for; null when the row or its image is gone. */
export async function deployRequestOf(db: Db, deploymentId: string): Promise<DeployRequested | null> {
  const [row] = await db
    .select({ d: schema.deployments, appName: schema.apps.name })
    .from(schema.deployments)
    .innerJoin(schema.apps, and(eq(schema.apps.id, schema.deployments.appId)))
    .where(eq(schema.deployments.id, deploymentId));
  if (!row?.d.image) return null;
  return {
    type: "DeployRequested",
    version: 1,
    deploymentId,
    appId: row.d.appId,
    appName: row.appName,
    image: row.d.image,
    port: row.d.port ?? 3000,
    requestedAt: row.d.createdAt.toISOString(),
  };
}

/**
 * Deploys keyed by deployment id: a transient failure (podman or the database not answering) is retried with
 * the queue's backoff for as long as it lasts, never dead-lettered; a terminal one fails the deployment with
 * its reason. The DEPLOY message only records its request and enqueues the key.
 */
export function deployQueue(
  deps: DeployDeps,
  deploy: (message: DeployRequested) => Promise<void>,
  options: { baseDelayMs?: number } = {},
): WorkQueue {
  return new WorkQueue({
    workers: 4,
    ...(options.baseDelayMs === undefined ? {} : { baseDelayMs: options.baseDelayMs }),
    reconcile: async (deploymentId) => {
      const message = await deployRequestOf(deps.db, deploymentId);
      if (message) await deploy(message);
      return {};
    },
    onError: (deploymentId, err, retryInMs) => {
      deps.onReconcileError?.("deploy");
      deps.logger.warn({ deploymentId, err, retryInMs }, "Deploy failed, retrying");
    },
    onTerminal: async (deploymentId, err) => {
      const reason = err instanceof Error ? err.message : String(err);
      const row = await loadDeployment(deps.db, deploymentId);
      // What it started is a stray now: the app's next reconcile removes it.
      await moveDeployment(deps.db, deploymentId, "deploy:failed", "failed", { reason });
      deps.onOutboxWrite();
      deps.logger.warn({ deploymentId, state: row?.state, reason }, "Deploy failed for good");
    },
  });
}
