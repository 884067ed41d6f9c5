import type { Deployment, DeploymentState } from "@kli8nt/core";
import {
  type Db,
  moveDeployment as moveWithInform,
  schema,
  type TransitionPatch,
  toDeployment,
} from "@kli8nt/db";
import { desc, eq } from "drizzle-orm";

export { loadDeployment } from "@kli8nt/db";

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

/**
 * Moves the deployment once per (deploymentId, step) with the deploy step's INFORM progress in the same
 * transaction (packages/db). False when the step was already recorded or the move is refused (stale).
 */
export async function moveDeployment(
  db: Db,
  id: string,
  step: string,
  to: DeploymentState,
  patch: TransitionPatch = {},
): Promise<boolean> {
  return (await moveWithInform(db, id, step, to, patch, { inform: "deploy" })).kind === "applied";
}
