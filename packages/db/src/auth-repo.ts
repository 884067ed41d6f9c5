import { type ApiToken, newId, type User } from "@kli8nt/core";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Db } from "./database.ts";
import { hashToken, randomToken } from "./hash.ts";
import { apiTokens, sessions, signInLinks, users } from "./schema.ts";
import { toUser } from "./users-repo.ts";

export const API_TOKEN_PREFIX = "k8t_";

export async function createApiToken(
  db: Db,
  userId: string,
  name: string,
): Promise<{ token: string; record: ApiToken }> {
  const token = randomToken(API_TOKEN_PREFIX);
  const [row] = await db
    .insert(apiTokens)
    .values({ id: newId("tok"), userId, name, prefix: token.slice(0, 10), tokenHash: hashToken(token) })
    .returning();
  if (!row) throw new Error("insert into api_tokens returned no row");
  const { id, prefix, createdAt, lastUsedAt } = row;
  return { token, record: { id, userId, name, prefix, createdAt, lastUsedAt } };
}

export async function findUserByApiToken(db: Db, token: string): Promise<User | null> {
  const [row] = await db
    .select({ user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)));
  return row ? toUser(row.user) : null;
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
