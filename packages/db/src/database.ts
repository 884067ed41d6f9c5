import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import * as schema from "./schema.ts";

export type Schema = typeof schema;
/** Both drivers share this type, so repositories have one code path for PGlite and PostgreSQL. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseOptions {
  /** postgres://… to use PostgreSQL; when absent, PGlite keeps its files in `dataDir`. */
  readonly url?: string | undefined;
  readonly dataDir: string;
  readonly poolSize?: number;
  /** Told when an idle pooled connection breaks (server restart, admin termination); the pool replaces it. */
  readonly onIdleError?: ((error: Error) => void) | undefined;
}

export interface Database {
  readonly db: Db;
  readonly kind: "pglite" | "postgres";
  close(): Promise<void>;
}

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../drizzle");

/** Opens the database and applies pending migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10, options.onIdleError);
  return openPglite(options.dataDir);
}

async function openPostgres(
  url: string,
  max: number,
  onIdleError: ((error: Error) => void) | undefined,
): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max });
  // pg emits an idle client's error on the pool; unheard, it would end the process. The pool drops that
  // client and opens a new one on the next query, so telling the caller is all there is to do.
  pool.on("error", (error) => onIdleError?.(error));
  try {
    await migrateExclusively(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const db = drizzlePg({ client: pool, schema });
  return { db: db as unknown as Db, kind: "postgres", close: () => pool.end() };
}

/** Any fixed 64-bit key: the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK = 4_711_080_017;

/**
 * The api and the controllers all migrate at start, and a Helm install starts them together: two
 * migrators at once fail on the second `CREATE TABLE`. A session advisory lock makes the later ones wait,
 * then find nothing left to apply. The lock ends with the session even if this process dies.
 */
async function migrateExclusively(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await migratePg(drizzlePg({ client, schema }), { migrationsFolder: MIGRATIONS });
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch((error: Error) => {
      broken = error;
    });
    // A connection that may still hold the lock is closed, never handed back to the pool.
    client.release(broken);
  }
}

/** `memory://` keeps the database in memory (tests); anything else is a directory. */
export const IN_MEMORY = "memory://";

async function openPglite(dataDir: string): Promise<Database> {
  let dir = IN_MEMORY;
  if (dataDir !== IN_MEMORY) {
    dir = path.join(dataDir, "pgdata");
    mkdirSync(dir, { recursive: true });
  }
  const client = await PGlite.create(dir);
  const db = drizzlePglite({ client, schema });
  await migratePglite(db, { migrationsFolder: MIGRATIONS });
  return { db: db as unknown as Db, kind: "pglite", close: () => client.close() };
}
