import { newId, type User } from "@kli8nt/core";
import { eq } from "drizzle-orm";
import type { Db } from "./database.ts";
import { users } from "./schema.ts";

type UserRow = typeof users.$inferSelect;

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    login: row.login,
    name: row.name,
    avatarUrl: row.avatarUrl,
    isAdmin: row.isAdmin,
    createdAt: row.createdAt,
  };
}

export async function getUser(db: Db, id: string): Promise<User | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ? toUser(row) : null;
}

/** The local administrator of a single-machine install; created once, then found by login. */
export async function ensureAdminUser(db: Db, login = "admin"): Promise<User> {
  await db
    .insert(users)
    .values({ id: newId("usr"), login, name: "Local administrator", isAdmin: true })
    .onConflictDoNothing({ target: users.login });
  const [row] = await db.select().from(users).where(eq(users.login, login));
  if (!row) throw new Error(`admin user ${login} vanished after insert`);
  return toUser(row);
}

export interface NewUser {
  readonly login: string;
  readonly name?: string | null;
  readonly avatarUrl?: string | null;
}

export async function createUser(db: Db, input: NewUser): Promise<User> {
  const [row] = await db
    .insert(users)
    .values({
      id: newId("usr"),
      login: input.login,
      name: input.name ?? null,
      avatarUrl: input.avatarUrl ?? null,
    })
    .returning();
  if (!row) throw new Error("insert into users returned no row");
  return toUser(row);
}
