import { type ApiToken, newId, type User } from "@kli8nt/core";
import { and, asc, count, eq, gt, isNull, lte, or } from "drizzle-orm";
import type { Db } from "./database.ts";
import { hashToken, randomToken } from "./hash.ts";
import { apiTokens, sessions, signInLinks, users } from "./schema.ts";
import { toUser } from "./users-repo.ts";

export const API_TOKEN_PREFIX = "k8t_";

export async function createApiToken(
  db: Db,
  userId: string,
  name: string,
  expiresAt: Date | null = null,
): Promise<{ token: string; record: ApiToken }> {
  const token = randomToken(API_TOKEN_PREFIX);
  const [row] = await db
    .insert(apiTokens)
    .values({
      id: newId("tok"),
      userId,
      name,
      prefix: token.slice(0, 10),
      tokenHash: hashToken(token),
      expiresAt,
    })
    .returning();
  if (!row) throw new Error("insert into api_tokens returned no row");
  return { token, record: toApiToken(row) };
}

function toApiToken(row: typeof apiTokens.$inferSelect): ApiToken {
  const { id, userId, name, prefix, createdAt, lastUsedAt, expiresAt } = row;
  return { id, userId, name, prefix, createdAt, lastUsedAt, expiresAt };
}

/** lastUsedAt is written at most once a minute per token, so a busy script does not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** The token's user while it is neither revoked nor expired; records the use (coarsely). */
export async function findUserByApiToken(db: Db, token: string): Promise<User | null> {
  const now = new Date();
  const [row] = await db
    .select({ user: users, id: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(
      and(
        eq(apiTokens.tokenHash, hashToken(token)),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
      ),
    );
  if (!row) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    // The condition makes concurrent requests race to one write instead of one each.
    await db
      .update(apiTokens)
      .set({ lastUsedAt: now })
      .where(
        and(eq(apiTokens.id, row.id), or(isNull(apiTokens.lastUsedAt), lte(apiTokens.lastUsedAt, stale))),
      );
  }
  return toUser(row.user);
}

/** The user's tokens that are not revoked (expired ones stay listed, so the user sees why a script fails). */
export async function listApiTokens(db: Db, userId: string): Promise<ApiToken[]> {
  const rows = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
  return rows.map(toApiToken);
}

/** Live tokens (neither revoked nor expired): what the per-user cap counts. */
export async function countApiTokens(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.userId, userId),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, new Date())),
      ),
    );
  return row?.n ?? 0;
}

export async function revokeApiToken(db: Db, userId: string, tokenId: string): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

export async function createSession(db: Db, userId: string, ttlMs: number): Promise<string> {
  const value = randomToken("");
  await db
    .insert(sessions)
    .values({ idHash: hashToken(value), userId, expiresAt: new Date(Date.now() + ttlMs) });
  return value;
}

export async function findUserBySession(db: Db, value: string): Promise<User | null> {
  const [row] = await db
    .select({ user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.idHash, hashToken(value)), gt(sessions.expiresAt, new Date())));
  return row ? toUser(row.user) : null;
}

export async function deleteSession(db: Db, value: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.idHash, hashToken(value)));
}

export async function createSignInLink(db: Db, userId: string, ttlMs: number): Promise<string> {
  const token = randomToken("");
  await db
    .insert(signInLinks)
    .values({ tokenHash: hashToken(token), userId, expiresAt: new Date(Date.now() + ttlMs) });
  return token;
}

/** Single use: the first caller gets the user id, every later (or late) caller gets null. */
export async function consumeSignInLink(db: Db, token: string): Promise<string | null> {
  const [row] = await db
    .update(signInLinks)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(signInLinks.tokenHash, hashToken(token)),
        isNull(signInLinks.usedAt),
        gt(signInLinks.expiresAt, new Date()),
      ),
    )
    .returning({ userId: signInLinks.userId });
  return row?.userId ?? null;
}
