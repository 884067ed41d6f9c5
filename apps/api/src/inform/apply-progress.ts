import { canTransition, type DeploymentProgress, type DeploymentState } from "@kli8nt/core";
import { type Db, schema, toDeployment, transitionDeployment } from "@kli8nt/db";
import { and, eq, ne } from "drizzle-orm";

/** How far along a state is; a progress message never moves a deployment backwards. */
const RANK: Readonly<Record<DeploymentState, number>> = {
  queued: 0,
  building: 1,
  built: 2,
  deploying: 3,
  live: 4,
  superseded: 5,
  failed: 5,
  cancelled: 5,
};

export interface ApplyResult {
  /** The state the message moved the row to, or null when the row already had it (or was past it). */
  readonly applied: DeploymentState | null;
  /** Deployments of the same app marked superseded because this one went live. */
  readonly superseded: string[];
}

/**
 * Applies one INFORM message, idempotently: the row moves only forward, once per (deploymentId,
 * `inform:<state>`), so redelivered or reordered messages change nothing. On a single machine the controllers
 * already moved the row (they share the database); this keeps controllers without database access (the
 * Kubernetes mode) correct too. When a deployment is live, the app's other live releases become superseded.
 */
export async function applyProgress(db: Db, message: DeploymentProgress): Promise<ApplyResult> {
  const [row] = await db
    .select()
    .from(schema.deployments)
    .where(eq(schema.deployments.id, message.deploymentId));
  if (!row) return { applied: null, superseded: [] };
  const from = row.state as DeploymentState;
  let state = from;
  if (RANK[message.state] > RANK[from] && canTransition(from, message.state)) {
    const moved = await transitionDeployment(db, row.id, `inform:${message.state}`, message.state, {
      reason: message.reason,
      url: message.url,
      ...(message.image ? { image: message.image } : {}),
      ...(message.commitSha ? { commitSha: message.commitSha } : {}),
    });
    state = moved?.state ?? from;
  }
  const superseded = state === "live" ? await supersedeOthers(db, toDeployment(row).appId, row.id) : [];
  return { applied: state === from ? null : state, superseded };
}

/** Marks the app's other live deployments superseded by `liveId` (each once, keyed on the new release). */
async function supersedeOthers(db: Db, appId: string, liveId: string): Promise<string[]> {
  const others = await db
    .select({ id: schema.deployments.id })
    .from(schema.deployments)
    .where(
      and(
        eq(schema.deployments.appId, appId),
        eq(schema.deployments.state, "live"),
        ne(schema.deployments.id, liveId),
      ),
    );
  const done: string[] = [];
  for (const other of others) {
    const moved = await transitionDeployment(db, other.id, `superseded-by:${liveId}`, "superseded");
    if (moved) done.push(other.id);
  }
  return done;
}
