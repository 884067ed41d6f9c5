import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, createAddonService, createLogger, loadAddonsConfig, loadConfig } from "@kli8nt/api";
import {
  createApiToken,
  createApp,
  createUser,
  type Database,
  openTestDatabase,
  SecretBox,
  TEST_DATABASE_URL,
} from "@kli8nt/db";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../testing.ts";

// `kli8nt psql <app>` through the real entry point, against the real api and the real add-on server (the
// PostgreSQL of scripts/infra/postgres.sh, KLI8NT_ADDONS=url), running the real psql. That service installs
// Debian's `postgresql`, which brings psql: where the database is, psql is, so a missing psql fails here.
const PG_BIN = "/usr/lib/postgresql/15/bin";
const SEARCH = `${PG_BIN}:${process.env.PATH ?? "/usr/bin:/bin"}`;
const psqlPath = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v psql"], { env: { PATH: SEARCH } })
      .toString()
      .trim();
  } catch {
    return "";
  }
})();
const missing = failUnderCi(
  !TEST_DATABASE_URL,
  "KLI8NT_TEST_DATABASE_URL is not set: run with the postgres service",
);

let dir: string;
let database: Database;
let api: FastifyInstance;
let addons: ReturnType<typeof createAddonService>;
let url: string;
let token: string;

function kli8nt(args: string[], pathVar = SEARCH): Promise<CliRun> {
  // The user's own libpq settings must not leak in: the add-on's win.
  const env = { PATH: pathVar, PGDATABASE: "not-this-one" };
  return runCli(args, { url, token, configDir: path.join(dir, "cfg"), env });
}

// Each call starts the CLI (a few seconds on a loaded 2-core machine), hence the generous timeout.
describe.skipIf(missing)("kli8nt psql", { timeout: 120_000 }, () => {
  let password = "";
  let role = "";

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "kli8nt-cli-psql-"));
    database = await openTestDatabase("postgres");
    const box = new SecretBox(randomBytes(32));
    addons = createAddonService(
      loadAddonsConfig({
        KLI8NT_ADDONS: "url",
        KLI8NT_ADDONS_POSTGRES_URL: TEST_DATABASE_URL,
        KLI8NT_DATA_DIR: dir,
        PATH: `${PG_BIN}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      }),
      { db: database.db, box, logger: createLogger("silent") },
    );
    api = await buildApi({
      config: loadConfig({ KLI8NT_DATA_DIR: dir, KLI8NT_LOG_LEVEL: "silent" }),
      db: database.db,
      box,
      onOutboxWrite: () => undefined,
      addons,
    });
    addons.start();
    url = await api.listen({ host: "127.0.0.1", port: 0 });
    const user = await createUser(database.db, { login: "ada" });
    token = (await createApiToken(database.db, user.id, "cli")).token;
    for (const name of ["shop", "bare"]) {
      await createApp(database.db, user.id, {
        name,
        repository: { url: `https://example.com/${name}.git`, branch: "main", rootDir: "." },
        port: null,
      });
    }
    const created = await kli8nt(["addons", "create", "shop", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    const conn = await eventually("the add-on ready", async () => {
      const res = await fetch(`${url}/api/apps/shop/addons/${id}/connection`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return res.ok ? ((await res.json()) as { password: string; user: string }) : undefined;
    });
    password = conn.password;
    role = conn.user;
  }, 120_000);

  afterAll(async () => {
    await addons?.stop();
    await api?.close();
    await database?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("finds psql where the postgres service installed it", () => {
    expect(psqlPath, `psql is not on ${SEARCH}: scripts/infra/postgres.sh should have installed it`).not.toBe(
      "",
    );
  });

  it("runs psql in the add-on's database with the arguments passed through, never printing the password", async () => {
    const one = await kli8nt(["psql", "shop", "-c", "select 1"]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/\?column\?\s*\n-+\s*\n\s*1\s*\n\(1 row\)/);

    const who = await kli8nt(["psql", "shop", "--", "-At", "-c", "select current_user, current_database()"]);
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout.trim()).toBe(`${role}|${role}`);
    expect(who.stderr).toContain(`as ${role}`);
    for (const out of [one, who]) expect(out.stdout + out.stderr).not.toContain(password);

    // psql's own exit code comes back: a failing statement is psql's 1 (ON_ERROR_STOP), with its message.
    const bad = await kli8nt(["psql", "shop", "-v", "ON_ERROR_STOP=1", "-c", "select * from nowhere"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('relation "nowhere" does not exist');
  });

  it("says what to do when the app has no add-on (exit 3) or psql is not installed", async () => {
    const bare = await kli8nt(["psql", "bare", "-c", "select 1"]);
    expect(bare.code).toBe(3);
    expect(bare.stderr).toContain(
      'app "bare" has no PostgreSQL add-on: create one with kli8nt addons create bare',
    );

    const noPsql = await kli8nt(["psql", "shop", "-c", "select 1"], path.join(dir, "empty-bin"));
    expect(noPsql.code).toBe(1);
    expect(noPsql.stderr).toContain("psql is not installed");
    expect(noPsql.stderr).not.toContain(password);

    const usage = await kli8nt(["psql"]);
    expect(usage.code).toBe(2);
  });
});
