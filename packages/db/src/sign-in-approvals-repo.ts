import { eq, sql } from "drizzle-orm";
import type { Db } from "./database.ts";
import { githubAccounts, signInApprovals, users } from "./schema.ts";

export type SignInApprovalRow = typeof signInApprovals.$inferSelect;

/** Whether an administrator approved this GitHub login (compared lowercased, as GitHub does). */
export async function isSignInApproved(db: Db, login: string): Promise<boolean> {
  const [row] = await db
    .select({ status: signInApprovals.status })
    .from(signInApprovals)
    .where(eq(signInApprovals.login, login.toLowerCase()));
  return row?.status === "approved";
}

/** Records a refused sign-in for an administrator to see; an existing request or approval is kept. */
export async function requestSignInApproval(
  db: Db,
  input: { login: string; githubId: number },
): Promise<void> {
  await db
    .insert(signInApprovals)
    .values({ login: input.login.toLowerCase(), githubId: input.githubId, status: "pending" })
    .onConflictDoNothing();
}

/** Approves a login (pending or not yet seen); returns the row. */
export async function approveSignIn(db: Db, login: string, adminId: string): Promise<SignInApprovalRow> {
  const values = { status: "approved" as const, decidedAt: new Date(), decidedBy: adminId };
  const [row] = await db
    .insert(signInApprovals)
    .values({ login: login.toLowerCase(), ...values })
    .onConflictDoUpdate({ target: signInApprovals.login, set: values })
    .returning();
  if (!row) throw new Error("approval was not recorded");
  return row;
}

/** Sign-ins waiting for an administrator, oldest first. */
export async function listPendingSignIns(db: Db): Promise<SignInApprovalRow[]> {
  return db
    .select()
    .from(signInApprovals)
    .where(eq(signInApprovals.status, "pending"))
    .orderBy(signInApprovals.requestedAt);
}

/** Whether any GitHub account was ever linked: the first one to sign in is let in without approval. */
export async function anyGitHubAccount(db: Db): Promise<boolean> {
  const [row] = await db.select({ one: sql<number>`1` }).from(githubAccounts).limit(1);
  return row !== undefined;
}

export async function makeAdmin(db: Db, userId: string): Promise<void> {
  await db.update(users).set({ isAdmin: true }).where(eq(users.id, userId));
}
