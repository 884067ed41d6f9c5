import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Database, IN_MEMORY, openDatabase } from "./database.ts";

/** True when a suite must fail rather than skip for missing infrastructure. */
export const IS_CI = process.env.CI === "true";

export const TEST_DATABASE_URL = process.env.KLI8NT_TEST_DATABASE_URL;

/**
 * A fresh, migrated database for one test file: in-memory PGlite, or a new database on the PostgreSQL
 * server of KLI8NT_TEST_DATABASE_URL (started by scripts/infra/postgres.sh), dropped on close.
 */
export async function openTestDatabase(kind: "pglite" | "postgres"): Promise<Database> {
  if (kind === "pglite") return openDatabase({ dataDir: IN_MEMORY });
  if (!TEST_DATABASE_URL) {
    throw new Error(
      "KLI8NT_TEST_DATABASE_URL is not set: run the suite through `npm test`, which starts PostgreSQL",
    );
  }
  const name = `kli8nt_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), dataDir: IN_MEMORY, poolSize: 5 });
  return {
    ...database,
    async close() {
      await database.close();
      const dropper = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}
