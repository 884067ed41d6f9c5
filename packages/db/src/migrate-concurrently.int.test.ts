import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IN_MEMORY, openDatabase } from "./database.ts";
import { IS_CI, TEST_DATABASE_URL } from "./testing.ts";

// A Helm install starts the api and the controllers together, and each migrates at start.
if (!TEST_DATABASE_URL && IS_CI) {
  throw new Error(
    "KLI8NT_TEST_DATABASE_URL is not set: run the suite through `npm test`, which starts PostgreSQL",
  );
}

const admin = async (sql: string) => {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
};

describe.skipIf(!TEST_DATABASE_URL)("migrations on PostgreSQL", () => {
  const name = `kli8nt_migrate_${randomBytes(6).toString("hex")}`;
  let url = "";

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`);
    const u = new URL(TEST_DATABASE_URL ?? "");
    u.pathname = `/${name}`;
    url = u.toString();
  });

  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it("five processes' worth of openDatabase on one empty database all succeed, each migration once", async () => {
    const opened = await Promise.allSettled(
      Array.from({ length: 5 }, () => openDatabase({ url, dataDir: IN_MEMORY, poolSize: 2 })),
    );
    const failures = opened.flatMap((o) => (o.status === "rejected" ? [String(o.reason)] : []));
    expect(failures).toEqual([]);
    const migrations = readdirSync(new URL("../drizzle/", import.meta.url)).filter((f) => f.endsWith(".sql"));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const applied = await client.query("SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations");
    const locks = await client.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
    await client.end();
    expect(applied.rows[0].n).toBe(migrations.length);
    // Every opener let go of the lock: the next start does not wait.
    expect(locks.rows[0].n).toBe(0);
    for (const o of opened) if (o.status === "fulfilled") await o.value.close();
  });
});
