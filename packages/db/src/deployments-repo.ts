import {
  type App,
  applyStateConditions,
  assertTransition,
  type BuildRequested,
  type Condition,
  type ConditionInput,
  type Deployment,
  type DeploymentState,
  type DeploymentTrigger,
  isKli8ntError,
  NotFoundError,
  newId,
  progressMessage,
  QUEUES,
  setCondition,
} from "@kli8nt/core";
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "./database.ts";
import { enqueueMessage, type Tx } from "./outbox.ts";
import { apps, deployments, processedSteps } from "./schema.ts";

type DeploymentRow = typeof deployments.$inferSelect;

export function toDeployment(row: DeploymentRow): Deployment {
  return {
    id: row.id,
    appId: row.appId,
    number: row.number,
    state: row.state as DeploymentState,
    trigger: row.trigger as DeploymentTrigger,
    ref: row.ref,
    commitSha: row.commitSha,
    image: row.image,
    rollbackOf: row.rollbackOf,
    url: row.url,
    reason: row.reason,
    port: row.port,
    restarts: row.restarts,
    conditions: row.conditions as Condition[],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
  };
}

export interface NewDeployment {
  readonly ref?: string | undefined;
  readonly commitSha?: string | null;
  readonly trigger: DeploymentTrigger;
}

/**
 * Queues a build: the deployment row and its BuildRequested message commit together (outbox), so the
 * message is published if and only if the row exists.
 */
export async function createDeployment(db: Db, app: App, input: NewDeployment): Promise<Deployment> {
  return db.transaction(async (tx) => {
    const number = await nextNumber(tx, app.id);
    const ref = input.ref ?? app.repository.branch;
    const [row] = await tx
      .insert(deployments)
      .values({
        id: newId("dep"),
        appId: app.id,
        number,
        state: "queued",
        trigger: input.trigger,
        ref,
        commitSha: input.commitSha ?? null,
      })
      .returning();
    if (!row) throw new Error("insert into deployments returned no row");
    const message: BuildRequested = {
      type: "BuildRequested",
      version: 1,
      deploymentId: row.id,
      appId: app.id,
      appName: app.name,
      repository: { url: app.repository.url, ref, commitSha: row.commitSha, rootDir: app.repository.rootDir },
      requestedAt: row.createdAt.toISOString(),
    };
    await enqueueMessage(tx, QUEUES.build, message);
    return toDeployment(row);
  });
}

/** Locks the app row so concurrent deploys of one app get distinct numbers. */
async function nextNumber(tx: Tx, appId: string): Promise<number> {
  await tx.select({ id: apps.id }).from(apps).where(eq(apps.id, appId)).for("update");
  const [row] = await tx
    .select({ max: sql<number>`coalesce(max(${deployments.number}), 0)::int` })
    .from(deployments)
    .where(eq(deployments.appId, appId));
  return (row?.max ?? 0) + 1;
}

export interface DeploymentPage {
  readonly items: Deployment[];
  /** Pass as `before` to get the next (older) page; null on the last page. */
  readonly nextBefore: number | null;
}

export async function listDeployments(
  db: Db,
  appId: string,
  options: { limit: number; before?: number | undefined },
): Promise<DeploymentPage> {
  const where = options.before
    ? and(eq(deployments.appId, appId), lt(deployments.number, options.before))
    : eq(deployments.appId, appId);
  const rows = await db
    .select()
    .from(deployments)
    .where(where)
    .orderBy(desc(deployments.number))
    .limit(options.limit + 1);
  const items = rows.slice(0, options.limit).map(toDeployment);
  const last = items.at(-1);
  return { items, nextBefore: rows.length > options.limit && last ? last.number : null };
}

/** A deployment of an app the user owns; anyone else's is DEPLOYMENT_NOT_FOUND. */
export async function getDeploymentForOwner(db: Db, ownerId: string, id: string): Promise<Deployment> {
  const [row] = await db
    .select({ deployment: deployments })
    .from(deployments)
    .innerJoin(apps, eq(apps.id, deployments.appId))
    .where(and(eq(deployments.id, id), eq(apps.ownerId, ownerId)));
  if (!row)
    throw new NotFoundError("DEPLOYMENT_NOT_FOUND", `No deployment with id "${id}"`, { details: { id } });
  return toDeployment(row.deployment);
}

export interface TransitionPatch {
  readonly reason?: string | null;
  readonly url?: string | null;
  readonly image?: string | null;
  readonly commitSha?: string | null;
}

/**
 * Moves a deployment to `to` once per (deploymentId, step): a redelivered message finds its step recorded and
 * changes nothing. Illegal moves throw DEPLOYMENT_TRANSITION_INVALID and roll back. Returns null for a
 * duplicate.
 */
export async function transitionDeployment(
  db: Db,
  id: string,
  step: string,
  to: DeploymentState,
  patch: TransitionPatch = {},
  after?: (tx: Tx, deployment: Deployment) => Promise<void>,
): Promise<Deployment | null> {
  return db.transaction(async (tx) => {
    const fresh = await tx
      .insert(processedSteps)
      .values({ deploymentId: id, step })
      .onConflictDoNothing()
      .returning();
    if (fresh.length === 0) return null;
    const [current] = await tx.select().from(deployments).where(eq(deployments.id, id)).for("update");
    if (!current) throw new NotFoundError("DEPLOYMENT_NOT_FOUND", `No deployment with id "${id}"`);
    assertTransition(current.state as DeploymentState, to);
    const done = to === "live" || to === "failed" || to === "cancelled";
    const now = new Date();
    const reason = patch.reason === undefined ? current.reason : patch.reason;
    const conditions = applyStateConditions(current.conditions as Condition[], to, reason, now);
    const [row] = await tx
      .update(deployments)
      .set({
        state: to,
        updatedAt: now,
        conditions,
        ...(done ? { finishedAt: now } : {}),
        ...definedOnly(patch),
      })
      .where(eq(deployments.id, id))
      .returning();
    if (!row) throw new NotFoundError("DEPLOYMENT_NOT_FOUND", `No deployment with id "${id}"`);
    const deployment = toDeployment(row);
    await after?.(tx, deployment);
    return deployment;
  });
}

/** A deployment by id, or null. */
export async function loadDeployment(db: Db, id: string): Promise<Deployment | null> {
  const [row] = await db.select().from(deployments).where(eq(deployments.id, id));
  return row ? toDeployment(row) : null;
}

export type TransitionResult =
  | { kind: "applied"; deployment: Deployment }
  | { kind: "duplicate" }
  | { kind: "stale" };

/**
 * The one way the controllers move a deployment: transitionDeployment, with the INFORM progress of `inform`'s
 * step written in the same transaction (and `after`, for more outbox rows), and a move the state machine
 * refuses (cancelled or superseded meanwhile) reported as stale instead of thrown, since redelivering it would
 * never succeed.
 */
export async function moveDeployment(
  db: Db,
  id: string,
  step: string,
  to: DeploymentState,
  patch: TransitionPatch = {},
  options: { inform?: "build" | "deploy"; after?: (tx: Tx, deployment: Deployment) => Promise<void> } = {},
): Promise<TransitionResult> {
  try {
    const deployment = await transitionDeployment(db, id, step, to, patch, async (tx, d) => {
      if (options.inform) await enqueueMessage(tx, "INFORM", progressMessage(d, options.inform));
      await options.after?.(tx, d);
    });
    return deployment ? { kind: "applied", deployment } : { kind: "duplicate" };
  } catch (error) {
    if (isKli8ntError(error) && error.code === "DEPLOYMENT_TRANSITION_INVALID") return { kind: "stale" };
    throw error;
  }
}

function definedOnly(patch: TransitionPatch): Partial<TransitionPatch> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
}

/**
 * Sets conditions on a deployment; writes only when something other than a transition time would change,
 * so a resync every few seconds does not rewrite an unchanged row.
 */
export async function updateDeploymentConditions(
  db: Db,
  deployment: Pick<Deployment, "id" | "conditions">,
  changes: readonly ConditionInput[],
  now: Date,
  options: { countRestart?: boolean } = {},
): Promise<Condition[]> {
  let next: Condition[] = [...deployment.conditions];
  for (const change of changes) next = setCondition(next, change, now);
  const same = JSON.stringify(next) === JSON.stringify(deployment.conditions);
  if (same && !options.countRestart) return next;
  await db
    .update(deployments)
    .set({
      conditions: next,
      ...(options.countRestart ? { restarts: sql`${deployments.restarts} + 1` } : {}),
      updatedAt: now,
    })
    .where(eq(deployments.id, deployment.id));
  return next;
}
