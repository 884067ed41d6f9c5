import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPreview, listAddons, resolveEnv, TEST_DATABASE_URL } from "@kli8nt/db";
import { failUnderCi } from "@kli8nt/testkit";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddonService } from "../../addons/addon-service.ts";
import { urlServer } from "../../addons/url-server.ts";
import { eventually, type GitHubTestEnv, startGitHubTestEnv } from "../test-env.ts";

// A preview's own database (ADR 0201): the api on real PostgreSQL with the fake GitHub, and the add-ons'
// server the same real PostgreSQL through the "existing server URL" adapter (as addons.int.test.ts).
const missing = failUnderCi(
  !TEST_DATABASE_URL,
  "KLI8NT_TEST_DATABASE_URL is not set: run through scripts/with-services.sh postgres",
);
const PATH = {
  PATH: "/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
};

let env: GitHubTestEnv;
let cookie: string;
let appId: string;
let dumps: string;

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${env.url}${path}`, {
    method,
    headers: { cookie, origin: env.url, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

async function envOf(id: string): Promise<Record<string, string>> {
  return Object.fromEntries(
    (await resolveEnv(env.database.db, env.deps.box, id)).map((v) => [v.key, v.value]),
  );
}

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const res = await query(TEST_DATABASE_URL ?? "", `select 1 from pg_database where datname = '${name}'`);
  return (res.rowCount ?? 0) > 0;
}

beforeAll(async () => {
  if (missing) return;
  dumps = mkdtempSync(join(tmpdir(), "kli8nt-preview-db-"));
  const server = urlServer({ adminUrl: TEST_DATABASE_URL ?? "", env: PATH });
  env = await startGitHubTestEnv({
    postgres: true,
    addons: (db, box) =>
      new AddonService({ db, box, server, dumpDir: dumps, logger: pino({ level: "silent" }) }),
  });
  env.gh.addUser({ login: "alice" });
  await env.gh.addRepo({ owner: "alice", name: "shop", files: { "server.js": "v1" } });
  cookie = `kli8nt_session=${(await env.signIn("alice")).session}`;
  const res = await call("POST", "/api/apps", {
    name: "shop",
    repository: { url: `${env.gh.url}/alice/shop`, branch: "main" },
  });
  appId = ((await res.json()) as { id: string }).id;
  await eventually(() => expect(env.gh.hooks("alice/shop")).toHaveLength(1));
  expect((await call("POST", "/api/apps/shop/addons", { type: "postgres" })).status).toBe(201);
  await eventually(async () => expect((await envOf(appId)).DATABASE_URL).toBeDefined());
  const parentUrl = (await envOf(appId)).DATABASE_URL ?? "";
  await query(parentUrl, "create table orders (id serial primary key, item text)");
  await query(parentUrl, "insert into orders (item) values ('tea'), ('cake')");
});

afterAll(async () => {
  await env?.close();
  if (dumps) rmSync(dumps, { recursive: true, force: true });
});

describe.skipIf(missing)("a pull request preview's own database", () => {
  it("gives a preview its own empty database and role, whose variables replace the app's, dropped on close", async () => {
    const patched = await call("PATCH", "/api/apps/shop", { previews: { mode: "all" } });
    expect(((await patched.json()) as { previews?: unknown }).previews ?? "").toBeDefined();
    const listed = (await (await call("GET", "/api/apps/shop/previews")).json()) as {
      settings: { database: string };
    };
    expect(listed.settings.database).toBe("empty");
    const opened = await env.gh.openPullRequest("alice/shop", { head: "faster" });
    expect(opened.deliveries.map((d) => d.status)).toEqual([202]);
    const preview = await findPreview(env.database.db, appId, opened.number);
    const vars = await envOf(preview?.app.id ?? "");
    const parent = await envOf(appId);
    expect(vars.DATABASE_URL).toBeDefined();
    expect(vars.DATABASE_URL).not.toBe(parent.DATABASE_URL);
    expect(vars.PGUSER).not.toBe(parent.PGUSER);
    expect(vars.PGDATABASE).toMatch(/^app_shop_pr_1_[0-9a-f]{8}$/);
    expect(vars.KLI8NT_PREVIEW).toBe("1");
    const tables = await query(
      vars.DATABASE_URL ?? "",
      "select tablename from pg_tables where schemaname = 'public'",
    );
    expect(tables.rows).toEqual([]);
    // Its role cannot open the app's database, nor the app's role the preview's.
    await expect(
      query(`${(vars.DATABASE_URL ?? "").replace(/\/[^/]+$/, "")}/${parent.PGDATABASE}`, "select 1"),
    ).rejects.toThrow(/permission denied for database/);

    const database = vars.PGDATABASE ?? "";
    expect(await databaseExists(database)).toBe(true);
    await env.gh.closePullRequest("alice/shop", opened.number);
    expect(await findPreview(env.database.db, appId, opened.number)).toBeNull();
    expect(await databaseExists(database)).toBe(false);
    const role = await query(
      TEST_DATABASE_URL ?? "",
      `select 1 from pg_roles where rolname = '${vars.PGUSER}'`,
    );
    expect(role.rowCount).toBe(0);
    expect(await listAddons(env.database.db, preview?.app.id ?? "")).toEqual([]);
    // The app's own database is untouched.
    expect((await query(parent.DATABASE_URL ?? "", "select count(*)::int as n from orders")).rows).toEqual([
      { n: 2 },
    ]);
  });

  it('copies the app\'s database into the preview\'s with "database":"copy", owned by the preview\'s role', async () => {
    const patched = await call("PATCH", "/api/apps/shop", { previews: { database: "copy" } });
    expect(patched.status).toBe(200);
    const opened = await env.gh.openPullRequest("alice/shop", { head: "copied" });
    const preview = await findPreview(env.database.db, appId, opened.number);
    const vars = await envOf(preview?.app.id ?? "");
    const url = vars.DATABASE_URL ?? "";
    expect((await query(url, "select item from orders order by id")).rows).toEqual([
      { item: "tea" },
      { item: "cake" },
    ]);
    // The copy is the preview's: it writes to it (the serial's sequence came along) without touching the app's.
    await query(url, "insert into orders (item) values ('pie')");
    const owner = await query(url, "select tableowner from pg_tables where tablename = 'orders'");
    expect(owner.rows).toEqual([{ tableowner: vars.PGUSER }]);
    const parent = await envOf(appId);
    expect((await query(parent.DATABASE_URL ?? "", "select count(*)::int as n from orders")).rows).toEqual([
      { n: 2 },
    ]);
    // A push redeploys on the same database: no second copy over the preview's changes.
    await env.gh.pushToPullRequest("alice/shop", opened.number, { "server.js": "v2" });
    expect((await envOf(preview?.app.id ?? "")).DATABASE_URL).toBe(url);
    expect((await query(url, "select count(*)::int as n from orders")).rows).toEqual([{ n: 3 }]);

    const database = vars.PGDATABASE ?? "";
    expect((await call("DELETE", `/api/apps/shop/previews/${opened.number}`)).status).toBe(204);
    expect(await databaseExists(database)).toBe(false);
  });

  it('never copies the app\'s data into a fork\'s preview, even with "database":"copy"', async () => {
    const patched = await call("PATCH", "/api/apps/shop", {
      previews: { database: "copy", allowForks: true },
    });
    expect(patched.status).toBe(200);
    env.gh.addUser({ login: "mallory" });
    const fork = await env.gh.fork("alice/shop", "mallory");
    const opened = await env.gh.openPullRequest("alice/shop", { head: "steal", headRepo: fork.fullName });
    expect(opened.deliveries.map((d) => d.status)).toEqual([202]);
    const preview = await findPreview(env.database.db, appId, opened.number);
    const vars = await envOf(preview?.app.id ?? "");
    // Its own empty database: nothing of the app's rows.
    const tables = await query(
      vars.DATABASE_URL ?? "",
      "select tablename from pg_tables where schemaname = 'public'",
    );
    expect(tables.rows).toEqual([]);
    expect(vars.DATABASE_URL).not.toBe((await envOf(appId)).DATABASE_URL);
    expect((await call("DELETE", `/api/apps/shop/previews/${opened.number}`)).status).toBe(204);
  });
});
