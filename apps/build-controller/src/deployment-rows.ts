import { type BuildSettings, type Deployment, type DeploymentState, isKli8ntError } from "@kli8nt/core";
import {
  type Db,
  schema,
  type TransitionPatch,
  type Tx,
  toDeployment,
  transitionDeployment,
} from "@kli8nt/db";
import { and, desc, eq, gt } from "drizzle-orm";

export async function loadDeployment(db: Db, id: string): Promise<Deployment | null> {
  const [row] = await db.select().from(schema.deployments).where(eq(schema.deployments.id, id));
  return row ? toDeployment(row) : null;
}

/** The app's port override (null when the plan decides). */
export async function appPort(db: Db, appId: string): Promise<number | null> {
  const [row] = await db
    .select({ port: schema.apps.port })
    .from(schema.apps)
    .where(eq(schema.apps.id, appId));
  return row?.port ?? null;
}

/** The app's settings that override the build plan (empty when it is gone or has none). */
export async function appBuildSettings(db: Db, appId: string): Promise<BuildSettings> {
  const [row] = await db
    .select({ buildSettings: schema.apps.buildSettings })
    .from(schema.apps)
    .where(eq(schema.apps.id, appId));
  return row?.buildSettings ?? {};
}

export type TransitionResult =
  | { kind: "applied"; deployment: Deployment }
  | { kind: "duplicate" }
  | { kind: "stale" };

/**
 * transitionDeployment, plus: a move the state machine refuses (the deployment was cancelled or superseded
 * meanwhile) is reported as stale instead of thrown, because redelivering it would never succeed.
 */
export async function moveDeployment(
  db: Db,
  id: string,
  step: string,
  to: DeploymentState,
  patch: TransitionPatch,
  after: (tx: Tx, deployment: Deployment) => Promise<void>,
): Promise<TransitionResult> {
  try {
    const deployment = await transitionDeployment(db, id, step, to, patch, after);
    return deployment ? { kind: "applied", deployment } : { kind: "duplicate" };
  } catch (error) {
    if (isKli8ntError(error) && error.code === "DEPLOYMENT_TRANSITION_INVALID") return { kind: "stale" };
    throw error;
  }
}

/** The newest deployment of the app created after `number`, if any (a queued build it makes pointless). */
export async function newerDeployment(db: Db, appId: string, number: number): Promise<Deployment | null> {
  const [row] = await db
    .select()
    .from(schema.deployments)
    .where(and(eq(schema.deployments.appId, appId), gt(schema.deployments.number, number)))
    .orderBy(desc(schema.deployments.number))
    .limit(1);
  return row ? toDeployment(row) : null;
}
