import type { App, Deployment } from "@kli8nt/core";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { toApp } from "./apps-repo.ts";
import type { Db } from "./database.ts";
import { toDeployment } from "./deployments-repo.ts";
import type { Tx } from "./outbox.ts";
import {
  apps,
  deployments,
  githubAccounts,
  githubDeliveries,
  githubDeployments,
  githubHooks,
  githubOauthStates,
} from "./schema.ts";

/** A linked GitHub account. Token fields hold ciphertext only: callers encrypt and decrypt (SecretBox). */
export type GitHubAccountRow = typeof githubAccounts.$inferSelect;

export interface GitHubAccountInput {
  readonly userId: string;
  readonly githubId: number;
  readonly login: string;
  readonly scopes: readonly string[];
  readonly accessTokenEnc: string;
  readonly refreshTokenEnc: string | null;
  readonly tokenExpiresAt: Date | null;
}

export async function getGitHubAccount(db: Db, userId: string): Promise<GitHubAccountRow | null> {
  const [row] = await db.select().from(githubAccounts).where(eq(githubAccounts.userId, userId));
  return row ?? null;
}

export async function findGitHubAccountByGitHubId(
  db: Db,
  githubId: number,
): Promise<GitHubAccountRow | null> {
  const [row] = await db.select().from(githubAccounts).where(eq(githubAccounts.githubId, githubId));
  return row ?? null;
}

/** Inserts or replaces the account of a user; a successful sign-in makes the token valid again. */
export async function saveGitHubAccount(db: Db, input: GitHubAccountInput): Promise<void> {
  const values = {
    githubId: input.githubId,
    login: input.login,
    scopes: [...input.scopes],
    accessTokenEnc: input.accessTokenEnc,
    refreshTokenEnc: input.refreshTokenEnc,
    tokenExpiresAt: input.tokenExpiresAt,
    tokenValid: true,
    updatedAt: new Date(),
  };
  await db
    .insert(githubAccounts)
    .values({ userId: input.userId, ...values })
    .onConflictDoUpdate({ target: githubAccounts.userId, set: values });
}

/** GitHub refused the token (revoked, or the refresh failed): the user must reconnect. */
export async function markGitHubTokenInvalid(db: Db, userId: string): Promise<void> {
  await db
    .update(githubAccounts)
    .set({ tokenValid: false, updatedAt: new Date() })
    .where(eq(githubAccounts.userId, userId));
}

export interface PendingSignIn {
  readonly bindingHash: string;
  readonly state: string;
  readonly codeVerifierEnc: string;
  readonly linkUserId: string | null;
  readonly expiresAt: Date;
}

export async function createPendingSignIn(db: Db, input: PendingSignIn): Promise<void> {
  // Expired rows are useless; dropping them here keeps the table small without a sweeper.
  await db.delete(githubOauthStates).where(sql`${githubOauthStates.expiresAt} < now() - interval '1 day'`);
  await db.insert(githubOauthStates).values({ ...input });
}

/** Single use: the first caller gets the pending sign-in, every later (or late) caller gets null. */
export async function consumePendingSignIn(db: Db, bindingHash: string): Promise<PendingSignIn | null> {
  const [row] = await db
    .update(githubOauthStates)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(githubOauthStates.bindingHash, bindingHash),
        isNull(githubOauthStates.usedAt),
        gt(githubOauthStates.expiresAt, new Date()),
      ),
    )
    .returning();
  if (!row) return null;
  const { state, codeVerifierEnc, linkUserId, expiresAt } = row;
  return { bindingHash, state, codeVerifierEnc, linkUserId, expiresAt };
}

export type GitHubHookRow = typeof githubHooks.$inferSelect;

export async function listGitHubHooks(db: Db): Promise<GitHubHookRow[]> {
  return db.select().from(githubHooks);
}

export async function findGitHubHook(db: Db, hookId: number): Promise<GitHubHookRow | null> {
  const [row] = await db.select().from(githubHooks).where(eq(githubHooks.hookId, hookId));
  return row ?? null;
}

/** Records the hook of an app (hookId null with `lastError` when creating it failed). */
export async function saveGitHubHook(
  db: Db,
  row: Pick<GitHubHookRow, "appId" | "userId" | "repoFullName" | "hookId" | "lastError"> &
    Partial<Pick<GitHubHookRow, "events">>,
): Promise<void> {
  const values = { ...row, updatedAt: new Date() };
  await db.insert(githubHooks).values(values).onConflictDoUpdate({ target: githubHooks.appId, set: values });
}

export async function deleteGitHubHook(db: Db, appId: string): Promise<void> {
  await db.delete(githubHooks).where(eq(githubHooks.appId, appId));
}

/** True the first time a delivery id is seen; call it in the transaction that acts on the delivery. */
export async function recordDelivery(tx: Tx, deliveryId: string, event: string): Promise<boolean> {
  const rows = await tx
    .insert(githubDeliveries)
    .values({ deliveryId, event })
    .onConflictDoNothing()
    .returning({ id: githubDeliveries.deliveryId });
  return rows.length > 0;
}

export type GitHubDeploymentRow = typeof githubDeployments.$inferSelect;

export async function getGitHubDeployment(db: Db, deploymentId: string): Promise<GitHubDeploymentRow | null> {
  const [row] = await db
    .select()
    .from(githubDeployments)
    .where(eq(githubDeployments.deploymentId, deploymentId));
  return row ?? null;
}

export async function saveGitHubDeployment(
  db: Db,
  row: Pick<GitHubDeploymentRow, "deploymentId" | "repoFullName" | "githubDeploymentId" | "lastState">,
): Promise<void> {
  const values = { ...row, updatedAt: new Date() };
  await db
    .insert(githubDeployments)
    .values(values)
    .onConflictDoUpdate({ target: githubDeployments.deploymentId, set: values });
}

/**
 * Runs `act` at most once per delivery id, and at most once per signed body when `bodyHash` is given (a
 * captured delivery replayed under a new X-GitHub-Delivery id is still the same signed bytes). Both are
 * recorded in the same transaction as what `act` writes (e.g. deployments and their outbox rows), so a
 * failure records nothing and a redelivery retries, while a delivery that was handled is never handled again.
 */
export async function onceForDelivery<T>(
  db: Db,
  delivery: { id: string; event: string; bodyHash?: string },
  act: (tx: Db) => Promise<T>,
): Promise<{ duplicate: true } | { duplicate: false; result: T }> {
  return db.transaction(async (tx) => {
    if (!(await recordDelivery(tx, delivery.id, delivery.event))) return { duplicate: true as const };
    // Same table, a key no GitHub delivery id can take (they are UUIDs): no migration needed.
    if (delivery.bodyHash && !(await recordDelivery(tx, `sha256:${delivery.bodyHash}`, delivery.event))) {
      return { duplicate: true as const };
    }
    // A transaction is a database whose own transactions are savepoints, so repositories run inside it.
    return { duplicate: false as const, result: await act(tx as unknown as Db) };
  });
}

/** Any user's app by id (for webhooks and status updates, which act for the app's owner). */
export async function findAppById(db: Db, appId: string): Promise<App | null> {
  const [row] = await db.select().from(apps).where(eq(apps.id, appId));
  return row ? toApp(row) : null;
}

/** Every app's owner and repository URL: what the hook reconciler compares with the hooks it made. */
export async function listAppRepositories(
  db: Db,
): Promise<Array<{ id: string; ownerId: string; repoUrl: string }>> {
  // Previews deploy through their app's hook: they get none of their own.
  return db
    .select({ id: apps.id, ownerId: apps.ownerId, repoUrl: apps.repoUrl })
    .from(apps)
    .where(isNull(apps.previewOf));
}

/** Whether an app was ever deployed from a known commit, and whether a deployment of `commitSha` exists (missed-push check). */
export async function commitDeployed(
  db: Db,
  appId: string,
  commitSha: string,
): Promise<{ deployedBefore: boolean; commitDeployed: boolean }> {
  const [row] = await db
    .select({
      any: sql<boolean>`count(${deployments.commitSha}) > 0`,
      hit: sql<boolean>`coalesce(bool_or(${deployments.commitSha} = ${commitSha}), false)`,
    })
    .from(deployments)
    .where(eq(deployments.appId, appId));
  return { deployedBefore: Boolean(row?.any), commitDeployed: Boolean(row?.hit) };
}

/** Any user's deployment by id (status mirroring acts for the app's owner). */
export async function findDeploymentById(db: Db, id: string): Promise<Deployment | null> {
  const [row] = await db.select().from(deployments).where(eq(deployments.id, id));
  return row ? toDeployment(row) : null;
}

/** Drops a user's failed hook attempts, so the next reconcile retries them now (e.g. after a reconnect). */
export async function forgetFailedHooks(db: Db, userId: string): Promise<void> {
  await db.delete(githubHooks).where(and(eq(githubHooks.userId, userId), isNull(githubHooks.hookId)));
}
