import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IN_MEMORY, openDatabase, resolveEnv, TEST_DATABASE_URL } from "@kli8nt/db";
import { eventually, failUnderCi, freePort } from "@kli8nt/testkit";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createAppVia, type Harness, startHarness } from "../test/harness.ts";
import { AddonService } from "./addon-service.ts";
import { urlServer } from "./url-server.ts";

// Managed PostgreSQL add-ons (issue 25, ADR 0225) on the real api, with the add-ons' server the real
// PostgreSQL that scripts/infra/postgres.sh starts, through the "existing server URL" adapter. That server
// runs with trust authentication, so what isolates tenants here is what isolates them in production too:
// CONNECT revoked from PUBLIC on each database, each owned by its own role.
const missing = failUnderCi(
  !TEST_DATABASE_URL,
  "KLI8NT_TEST_DATABASE_URL is not set: run through scripts/with-services.sh postgres",
);

let h: Harness;
let dumps: string;
let finalDump = "";
const PATH = {
  PATH: "/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
};

const alice = () => bearer(h.alice.token);
const addons = (app: string) =>
  h.app.inject({ method: "GET", url: `/api/apps/${app}/addons`, headers: alice() });
const remove = (app: string, id: string, payload?: unknown) =>
  h.app.inject({
    method: "DELETE",
    url: `/api/apps/${app}/addons/${id}`,
    headers: alice(),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

interface AddonBody {
  id: string;
  status: string;
  sizeBytes: number | null;
  database: string;
  detail: string | null;
}

/** Adds a PostgreSQL add-on to `app` and waits until the reconciler made it ready. */
async function provision(app: string): Promise<AddonBody> {
  const res = await h.app.inject({
    method: "POST",
    url: `/api/apps/${app}/addons`,
    headers: alice(),
    payload: { type: "postgres" },
  });
  expect(res.statusCode).toBe(201);
  expect(res.json<AddonBody>().status).toBe("provisioning");
  const id = res.json<AddonBody>().id;
  return eventually(
    `${app}'s add-on ready`,
    async () => {
      const item = (await addons(app)).json<{ items: AddonBody[] }>().items.find((a) => a.id === id);
      expect(item?.status).toBe("ready");
      return item as AddonBody;
    },
    30_000,
  );
}

async function envOf(appId: string): Promise<Record<string, string>> {
  return Object.fromEntries((await resolveEnv(h.database.db, h.box, appId)).map((v) => [v.key, v.value]));
}

async function query(config: string | pg.ClientConfig, sql: string) {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe.skipIf(missing)("managed PostgreSQL add-ons", () => {
  let shopId: string;
  let blogId: string;
  let shop: AddonBody;

  beforeAll(async () => {
    dumps = mkdtempSync(join(tmpdir(), "kli8nt-addon-dumps-"));
    const server = urlServer({ adminUrl: TEST_DATABASE_URL ?? "", env: PATH });
    h = await startHarness(
      {},
      {
        addons: (db, box) =>
          new AddonService({ db, box, server, dumpDir: dumps, logger: pino({ level: "silent" }) }),
      },
    );
    shopId = await createAppVia(h.app, h.alice.token, "shop");
    blogId = await createAppVia(h.app, h.alice.token, "blog");
    shop = await provision("shop");
  });

  afterAll(async () => {
    await h?.close();
    if (dumps) rmSync(dumps, { recursive: true, force: true });
  });

  it("provisions a database the app reaches with its injected DATABASE_URL and PG* variables", async () => {
    expect(shop.sizeBytes).toBeGreaterThan(0);
    const env = await envOf(shopId);
    expect(Object.keys(env).sort()).toEqual([
      "DATABASE_URL",
      "PGDATABASE",
      "PGHOST",
      "PGPASSWORD",
      "PGPORT",
      "PGUSER",
    ]);
    await query(env.DATABASE_URL ?? "", "create table orders (id serial primary key, item text)");
    await query(env.DATABASE_URL ?? "", "insert into orders (item) values ('tea')");
    const viaLibpq = await query(
      {
        host: env.PGHOST,
        port: Number(env.PGPORT),
        user: env.PGUSER,
        password: env.PGPASSWORD,
        database: env.PGDATABASE,
      },
      "select item from orders",
    );
    expect(viaLibpq.rows).toEqual([{ item: "tea" }]);
  });

  it("shows the variables as managed by the add-on, secrets masked, and refuses to change them (409)", async () => {
    const password = (await envOf(shopId)).PGPASSWORD ?? "";
    expect(password.length).toBeGreaterThan(30);
    const res = await h.app.inject({ url: "/api/apps/shop/env", headers: alice() });
    expect(res.body).not.toContain(password);
    const vars = res.json<{ vars: Array<{ key: string; value: string | null; managedBy?: string }> }>().vars;
    const byKey = new Map(vars.map((v) => [v.key, v]));
    expect(byKey.get("DATABASE_URL")).toMatchObject({ value: null, managedBy: `addon:postgres:${shop.id}` });
    expect(byKey.get("PGPASSWORD")?.value).toBeNull();
    expect(byKey.get("PGDATABASE")?.value).toBe(shop.database);

    const put = (payload: unknown) =>
      h.app.inject({
        method: "PUT",
        url: "/api/apps/shop/env",
        headers: alice(),
        payload: payload as object,
      });
    const changed = await put({
      vars: [{ key: "DATABASE_URL", value: "postgres://elsewhere/db", secret: true }],
    });
    expect(changed.statusCode).toBe(409);
    expect(changed.headers["content-type"]).toContain("application/problem+json");
    expect(changed.json<{ code: string; detail: string }>()).toMatchObject({ code: "ENV_MANAGED_BY_ADDON" });
    expect(changed.json<{ detail: string }>().detail).toContain("managed by addon:postgres");

    // A form saving back what it read keeps the user's own variables and leaves the add-on's alone.
    const own = { key: "GREETING", value: "hi", secret: false, build: false, preview: true };
    const saved = await put({ vars: [...vars.map(({ managedBy: _, ...v }) => v), own] });
    expect(saved.statusCode).toBe(200);
    expect((await envOf(shopId)).GREETING).toBe("hi");
    expect((await envOf(shopId)).PGPASSWORD).toBe(password);
  });

  it("gives the runtime and the log masker the password and URL as secrets", async () => {
    const secret = (await resolveEnv(h.database.db, h.box, shopId)).filter((v) => v.secret).map((v) => v.key);
    expect(secret.sort()).toEqual(["DATABASE_URL", "PGPASSWORD"]);
  });

  it("keeps one app's role out of another app's database", async () => {
    await provision("blog");
    const blog = await envOf(blogId);
    const shopDb = new URL(blog.DATABASE_URL ?? "");
    shopDb.pathname = `/${shop.database}`;
    await expect(query(shopDb.toString(), "select 1")).rejects.toThrow(/permission denied for database/);
    const other = await envOf(shopId);
    const blogDb = new URL(other.DATABASE_URL ?? "");
    blogDb.pathname = `/${blog.PGDATABASE}`;
    await expect(query(blogDb.toString(), "select 1")).rejects.toThrow(/permission denied for database/);
  });

  it("refuses an add-on whose variables the app already sets itself, naming them", async () => {
    await createAppVia(h.app, h.alice.token, "legacy");
    const put = await h.app.inject({
      method: "PUT",
      url: "/api/apps/legacy/env",
      headers: alice(),
      payload: { vars: [{ key: "DATABASE_URL", value: "postgres://old/db", secret: true }] },
    });
    expect(put.statusCode).toBe(200);
    const res = await h.app.inject({
      method: "POST",
      url: "/api/apps/legacy/addons",
      headers: alice(),
      payload: { type: "postgres" },
    });
    expect(res.statusCode).toBe(409);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json<{ code: string; detail: string }>()).toMatchObject({ code: "ADDON_ENV_TAKEN" });
    expect(res.json<{ detail: string }>().detail).toContain("DATABASE_URL");
  });

  it("reveals the connection to the app's owner alone, never cached, and it connects", async () => {
    const url = `/api/apps/shop/addons/${shop.id}/connection`;
    const res = await h.app.inject({ url, headers: alice() });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const conn = res.json<{
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
      local: unknown;
    }>();
    const env = await envOf(shopId);
    expect(conn).toEqual({
      host: env.PGHOST,
      port: Number(env.PGPORT),
      user: env.PGUSER,
      password: env.PGPASSWORD,
      database: env.PGDATABASE,
      url: env.DATABASE_URL,
      local: {
        host: new URL(TEST_DATABASE_URL ?? "").hostname,
        port: Number(new URL(TEST_DATABASE_URL ?? "").port),
      },
    });
    const { local: _, ...libpq } = conn;
    expect((await query(libpq, "select 1 as one")).rows).toEqual([{ one: 1 }]);
    // Someone else: the app does not exist for them, as everywhere else.
    const stranger = await h.app.inject({ url, headers: bearer(h.bob.token) });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.headers["content-type"]).toContain("application/problem+json");
    expect(stranger.body).not.toContain(conn.password);
    const unknown = await h.app.inject({ url: "/api/apps/shop/addons/nope/connection", headers: alice() });
    expect(unknown.statusCode).toBe(404);
  });

  it("refuses a second PostgreSQL add-on on one app", async () => {
    const res = await h.app.inject({
      method: "POST",
      url: "/api/apps/shop/addons",
      headers: alice(),
      payload: { type: "postgres" },
    });
    expect(res.statusCode).toBe(409);
    expect(res.headers["content-type"]).toContain("application/problem+json");
  });

  it("adopts its add-ons after a restart: a new service converges a ready one without changing it", async () => {
    const again = new AddonService({
      db: h.database.db,
      box: h.box,
      server: urlServer({ adminUrl: TEST_DATABASE_URL ?? "", env: PATH }),
      dumpDir: dumps,
      logger: pino({ level: "silent" }),
    });
    await again.reconcile(shop.id);
    const env = await envOf(shopId);
    expect((await query(env.DATABASE_URL ?? "", "select item from orders")).rows).toEqual([{ item: "tea" }]);
  });

  it("backs up, lists, and restores a backup after the table was dropped", async () => {
    const url = (await envOf(shopId)).DATABASE_URL ?? "";
    // The nightly schedule took one when the add-on became ready (none existed).
    const scheduled = await h.app.inject({
      url: `/api/apps/shop/addons/${shop.id}/backups`,
      headers: alice(),
    });
    expect(scheduled.json<{ items: unknown[] }>().items.length).toBeGreaterThanOrEqual(1);
    const taken = await h.app.inject({
      method: "POST",
      url: `/api/apps/shop/addons/${shop.id}/backups`,
      headers: alice(),
    });
    expect(taken.statusCode).toBe(201);
    const backup = taken.json<{ id: string; sizeBytes: number }>();
    expect(backup.sizeBytes).toBeGreaterThan(0);
    const list = await h.app.inject({ url: `/api/apps/shop/addons/${shop.id}/backups`, headers: alice() });
    expect(list.json<{ items: Array<{ id: string }> }>().items.map((b) => b.id)).toContain(backup.id);

    await query(url, "drop table orders");
    const restored = await h.app.inject({
      method: "POST",
      url: `/api/apps/shop/addons/${shop.id}/backups/${backup.id}/restore`,
      headers: alice(),
    });
    expect(restored.statusCode).toBe(200);
    expect((await query(url, "select item from orders")).rows).toEqual([{ item: "tea" }]);
    // What the restore made belongs to the app's role, which can keep writing.
    await query(url, "insert into orders (item) values ('scone')");

    const missing = await h.app.inject({
      method: "POST",
      url: `/api/apps/shop/addons/${shop.id}/backups/2020-01-01T00-00-00-000Z.sql/restore`,
      headers: alice(),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["content-type"]).toContain("application/problem+json");
  });

  it("deletes only with the app's name as confirmation and keeps a final dump", async () => {
    for (const body of [undefined, {}, { confirm: "blog" }]) {
      const res = await remove("shop", shop.id, body);
      expect(res.statusCode).toBe(400);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json<{ detail: string }>().detail).toContain('{"confirm":"shop"}');
    }
    const url = (await envOf(shopId)).DATABASE_URL ?? "";
    const res = await remove("shop", shop.id, { confirm: "shop" });
    expect(res.statusCode).toBe(200);
    const path = res.json<{ dump: { path: string } }>().dump.path;
    expect(path.startsWith(dumps)).toBe(true);
    expect(existsSync(path)).toBe(true);
    const dump = readFileSync(path, "utf8");
    expect(dump).toContain("CREATE TABLE public.orders");
    expect(dump).toContain("tea");
    await expect(query(url, "select 1")).rejects.toThrow();
    expect(Object.keys(await envOf(shopId))).not.toContain("DATABASE_URL");
    expect((await addons("shop")).json<{ items: unknown[] }>().items).toEqual([]);
    finalDump = res.json<{ dump: { id: string } }>().dump.id;
  });

  it("lists the final dump and brings its rows back into a new add-on (ADR 0228)", async () => {
    const dumpsOf = (app: string, token = h.alice.token) =>
      h.app.inject({ url: `/api/apps/${app}/addons/dumps`, headers: bearer(token) });
    const listed = (await dumpsOf("shop")).json<{ items: Array<{ id: string; status: string }> }>().items;
    expect(listed).toEqual([
      expect.objectContaining({ id: finalDump, status: "done", database: shop.database }),
    ]);
    expect(listed[0]).not.toHaveProperty("path");

    const create = (app: string, fromDump: string, token = h.alice.token) =>
      h.app.inject({
        method: "POST",
        url: `/api/apps/${app}/addons`,
        headers: bearer(token),
        payload: { type: "postgres", fromDump },
      });
    // Another app's dump, a made-up id, a path: the same 404, and nothing is created.
    for (const [app, id] of [
      ["blog", finalDump],
      ["shop", "bk_0123"],
      ["shop", "../dumps/x.sql"],
    ] as const) {
      const res = await create(app, id ?? "");
      expect(res.statusCode, res.body).toBe(404);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json<{ code: string }>().code).toBe("ADDON_DUMP_NOT_FOUND");
    }
    expect((await dumpsOf("shop", h.bob.token)).statusCode).toBe(404);
    expect((await addons("shop")).json<{ items: unknown[] }>().items).toEqual([]);

    const res = await create("shop", finalDump);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<AddonBody & { restore: unknown }>();
    expect(body.status).toBe("ready");
    expect(body.restore).toEqual({ backupId: finalDump, status: "done", detail: null });
    const url = (await envOf(shopId)).DATABASE_URL ?? "";
    expect((await query(url, "select item from orders order by id")).rows).toEqual([
      { item: "tea" },
      { item: "scone" },
    ]);
    // Loaded as the new add-on's role: the app owns its tables again and keeps writing.
    await query(url, "insert into orders (item) values ('jam')");
  });
});

describe("an add-on whose server does not answer", () => {
  it("is in error with the reason, and the app gets no variables", async () => {
    const closed = `postgres://kli8nt@127.0.0.1:${await freePort()}/postgres`;
    const broken = await startHarness(
      {},
      {
        addons: (db, box) =>
          new AddonService({
            db,
            box,
            server: urlServer({ adminUrl: closed, env: PATH, waitMs: 500 }),
            dumpDir: tmpdir(),
            logger: pino({ level: "silent" }),
          }),
      },
    );
    try {
      const appId = await createAppVia(broken.app, broken.alice.token, "lonely");
      const res = await broken.app.inject({
        method: "POST",
        url: "/api/apps/lonely/addons",
        headers: bearer(broken.alice.token),
        payload: { type: "postgres" },
      });
      expect(res.statusCode).toBe(201);
      const item = await eventually("the add-on in error", async () => {
        const list = await broken.app.inject({
          url: "/api/apps/lonely/addons",
          headers: bearer(broken.alice.token),
        });
        const first = list.json<{ items: AddonBody[] }>().items[0];
        return first?.status === "error" ? first : undefined;
      });
      expect(item.detail).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+ did not answer/);
      const env = await resolveEnv(broken.database.db, broken.box, appId);
      expect(env.map((v) => v.key)).not.toContain("DATABASE_URL");
      // Nothing to reveal yet: a problem saying why, not an empty connection.
      const reveal = await broken.app.inject({
        url: `/api/apps/lonely/addons/${item.id}/connection`,
        headers: bearer(broken.alice.token),
      });
      expect(reveal.statusCode).toBe(409);
      expect(reveal.headers["content-type"]).toContain("application/problem+json");
      expect(reveal.json<{ code: string; detail: string }>()).toMatchObject({
        code: "ADDON_NOT_READY",
        detail: expect.stringMatching(
          /^The add-on is not ready \(status error: PostgreSQL at .* did not answer/,
        ),
      });
    } finally {
      await broken.close();
    }
  });
});

describe("add-ons without a server (process mode)", () => {
  it("refuses to create one with a problem saying why", async () => {
    const plain = await startHarness({}, { database: await openDatabase({ dataDir: IN_MEMORY }) });
    try {
      await createAppVia(plain.app, plain.alice.token, "solo");
      const res = await plain.app.inject({
        method: "POST",
        url: "/api/apps/solo/addons",
        headers: bearer(plain.alice.token),
        payload: { type: "postgres" },
      });
      expect(res.statusCode).toBe(409);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json<{ code: string; detail: string }>()).toMatchObject({ code: "ADDONS_UNAVAILABLE" });
      expect(res.json<{ detail: string }>().detail).toContain("process mode");
    } finally {
      await plain.close();
    }
  });
});
