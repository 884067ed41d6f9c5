import { type Deployment, type DeploymentProgress, type DeploymentState, isKli8ntError } from "@kli8nt/core";
import {
  type Db,
  enqueueMessage,
  schema,
  type TransitionPatch,
  toDeployment,
  transitionDeployment,
} from "@kli8nt/db";
import { desc, eq } from "drizzle-orm";

export async function loadDeployment(db: Db, id: string): Promise<Deployment | null> {
  const [row] = await db.select().from(schema.deployments).where(eq(schema.deployments.id, id));
  return row ? toDeployment(row) : null;
}

/** Live deployments with their app's name, newest first. */
export async function liveDeployments(db: Db): Promise<Array<{ deployment: Deployment; appName: string }>> {
  const rows = await db
    .select({ deployment: schema.deployments, appName: schema.apps.name })
    .from(schema.deployments)
    .innerJoin(schema.apps, eq(schema.apps.id, schema.deployments.appId))
    .where(eq(schema.deployments.state, "live"))
    .orderBy(desc(schema.deployments.number));
  return rows.map((r) => ({ deployment: toDeployment(r.deployment), appName: r.appName }));
}

/** The port a release was deployed with (`deployments.port`), 3000 when it never had one. */
export async function releasePort(db: Db, deploymentId: string): Promise<number> {
  const [row] = await db
    .select({ port: schema.deployments.port })
    .from(schema.deployments)
    .where(eq(schema.deployments.id, deploymentId));
  return row?.port ?? 3000;
}

function progress(d: Deployment): DeploymentProgress {
  return {
    type: "DeploymentProgress",
    version: 1,
    deploymentId: d.id,
    appId: d.appId,
    step: "deploy",
    state: d.state,
    reason: d.reason,
    url: d.url,
    image: d.image,
    commitSha: d.commitSha,
    at: new Date().toISOString(),
  };
}

/**
 * Moves the deployment once per (deploymentId, step) and writes the INFORM progress in the same transaction.
 * Returns false when the step was already recorded or the state machine refuses the move (stale message).
 */
export async function moveDeployment(
  db: Db,
  id: string,
  step: string,
  to: DeploymentState,
  patch: TransitionPatch = {},
): Promise<boolean> {
  try {
    const moved = await transitionDeployment(db, id, step, to, patch, async (tx, d) => {
      await enqueueMessage(tx, "INFORM", progress(d));
    });
    return moved !== null;
  } catch (error) {
    if (isKli8ntError(error) && error.code === "DEPLOYMENT_TRANSITION_INVALID") return false;
    throw error;
  }
}
