import {
  deleteAddonRow,
  getApp,
  markBackup,
  PASSWORD_IN_CLUSTER,
  pendingBackups,
  pendingRestores,
  requestBackup,
  updateAddon,
} from "@kli8nt/db";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createAppVia, type Harness, startHarness } from "../test/harness.ts";
import { AddonService } from "./addon-service.ts";

// The api's side of cluster add-ons (ADR 0226, 0228) through its routes, on PGlite: the api only writes
// rows (no password, requests for backups, restores and deletes) that the deploy controller executes; here
// the test plays the controller by marking the rows as it would.
let h: Harness;
const call = (method: "GET" | "POST" | "DELETE", url: string, payload?: object, token = h.alice.token) =>
  h.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

interface Problem {
  code: string;
  detail: string;
}

function expectProblem(res: Awaited<ReturnType<typeof call>>, status: number, code: string): Problem {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers["content-type"]).toContain("application/problem+json");
  const body = res.json<Problem>();
  expect(body.code).toBe(code);
  expect(body.detail.length).toBeGreaterThan(10);
  return body;
}

beforeAll(async () => {
  h = await startHarness(
    {},
    {
      addons: (db, box) =>
        new AddonService({
          db,
          box,
          server: null,
          inCluster: true,
          namespacePrefix: "kli8nt-app-",
          dumpDir: "/nonexistent",
          logger: pino({ level: "silent" }),
        }),
    },
  );
  await createAppVia(h.app, h.alice.token, "shop");
});
afterAll(() => h?.close());

describe("cluster add-ons through the api", () => {
  let addonId = "";
  let backupId = "";

  it("records the add-on without a password and refuses backups until it is ready", async () => {
    const res = await call("POST", "/api/apps/shop/addons", { type: "postgres" });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<{ id: string; status: string; restore: unknown }>();
    expect(body).toMatchObject({ status: "provisioning", restore: null });
    addonId = body.id;
    const backup = await call("POST", `/api/apps/shop/addons/${addonId}/backups`);
    expect(expectProblem(backup, 409, "ADDON_NOT_READY").detail).toContain("provisioning");
    const psql = await call("GET", `/api/apps/shop/addons/${addonId}/connection`);
    expectProblem(psql, 409, "ADDON_NOT_READY");
  });

  it("answers where psql runs in the add-on's pod, to the owner alone, with no password", async () => {
    await updateAddon(h.database.db, addonId, { status: "ready", host: "shop-postgres", port: 5432 });
    const res = await call("GET", `/api/apps/shop/addons/${addonId}/connection`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const { cluster } = res.json<{ cluster: Record<string, string> }>();
    expect(cluster).toEqual({
      namespace: "kli8nt-app-shop",
      pod: "shop-postgres-0",
      container: "postgres",
      database: expect.stringMatching(/^app_shop_[0-9a-f]{8}$/),
      user: expect.stringMatching(/^app_shop_[0-9a-f]{8}$/),
    });
    expect(res.body).not.toContain(PASSWORD_IN_CLUSTER);
    const stranger = await call("GET", `/api/apps/shop/addons/${addonId}/connection`, undefined, h.bob.token);
    expectProblem(stranger, 404, "APP_NOT_FOUND");
  });

  it("requests a backup (202), one at a time, and lists it with its status and detail", async () => {
    const res = await call("POST", `/api/apps/shop/addons/${addonId}/backups`);
    expect(res.statusCode, res.body).toBe(202);
    const row = res.json<{ id: string; kind: string; status: string; sizeBytes: null }>();
    expect(row).toMatchObject({ kind: "manual", status: "requested", sizeBytes: null });
    backupId = row.id;
    expect((await pendingBackups(h.database.db)).map((b) => b.id)).toEqual([backupId]);
    expectProblem(await call("POST", `/api/apps/shop/addons/${addonId}/backups`), 409, "BACKUP_IN_PROGRESS");

    await markBackup(h.database.db, backupId, { status: "running", detail: "Job shop-backup-1 running" });
    const list = await call("GET", `/api/apps/shop/addons/${addonId}/backups`);
    expect(list.json<{ items: unknown[] }>().items).toEqual([
      expect.objectContaining({ id: backupId, status: "running", detail: "Job shop-backup-1 running" }),
    ]);
  });

  it("requests a restore of a finished backup (202) once, shown on the add-on; bad ids are problems", async () => {
    const restore = (id: string) => call("POST", `/api/apps/shop/addons/${addonId}/backups/${id}/restore`);
    expectProblem(await restore(backupId), 409, "BACKUP_NOT_DONE");
    await markBackup(h.database.db, backupId, { status: "done", sizeBytes: 2048, location: "pvc:x/y.sql" });
    expectProblem(await restore("bk_00000000000000000000000000000000"), 404, "BACKUP_NOT_FOUND");

    const res = await restore(backupId);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ restored: backupId, status: "requested" });
    expect(expectProblem(await restore(backupId), 409, "RESTORE_IN_PROGRESS").detail).toContain(backupId);
    expect((await pendingRestores(h.database.db)).map((a) => a.id)).toEqual([addonId]);
    const list = await call("GET", "/api/apps/shop/addons");
    expect(list.json<{ items: Array<{ restore: unknown }> }>().items[0]?.restore).toEqual({
      backupId,
      status: "requested",
      detail: null,
    });
    // Someone else's app does not exist for them.
    const bob = await call(
      "POST",
      `/api/apps/shop/addons/${addonId}/backups/${backupId}/restore`,
      undefined,
      h.bob.token,
    );
    expectProblem(bob, 404, "APP_NOT_FOUND");
  });

  it("deletes by marking deleting and requesting one final dump (202), restorable into a new add-on", async () => {
    const path = `/api/apps/shop/addons/${addonId}`;
    expectProblem(await call("DELETE", path, { confirm: "nope" }), 400, "ADDON_CONFIRM_REQUIRED");
    const res = await call("DELETE", path, { confirm: "shop" });
    expect(res.statusCode, res.body).toBe(202);
    const final = res.json<{ id: string; dump: { id: string; path: null } }>();
    expect(final).toMatchObject({ id: addonId, dump: { path: null } });
    expect((await call("DELETE", path, { confirm: "shop" })).json<typeof final>().dump.id).toBe(
      final.dump.id,
    );
    const list = await call("GET", "/api/apps/shop/addons");
    expect(list.json<{ items: Array<{ status: string }> }>().items[0]?.status).toBe("deleting");
    expectProblem(await call("POST", `${path}/backups`), 409, "ADDON_NOT_READY");

    const dumps = await call("GET", "/api/apps/shop/addons/dumps");
    expect(dumps.json()).toEqual({
      items: [
        {
          id: final.dump.id,
          database: expect.stringMatching(/^app_shop_/),
          createdAt: expect.any(String),
          sizeBytes: null,
          status: "requested",
        },
      ],
    });
    // The controller takes the dump, then removes the add-on.
    await markBackup(h.database.db, final.dump.id, {
      status: "done",
      sizeBytes: 4096,
      location: "pvc:x/f.sql",
    });
    await deleteAddonRow(h.database.db, addonId);

    const created = await call("POST", "/api/apps/shop/addons", {
      type: "postgres",
      fromDump: final.dump.id,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json<{ restore: unknown }>().restore).toEqual({
      backupId: final.dump.id,
      status: "requested",
      detail: null,
    });
    const after = await call("GET", "/api/apps/shop/addons/dumps");
    expect(after.json<{ items: Array<{ status: string; sizeBytes: number }> }>().items[0]).toMatchObject({
      status: "done",
      sizeBytes: 4096,
    });
  });

  it("refuses unknown dumps and another user's dumps with 404", async () => {
    await createAppVia(h.app, h.bob.token, "blog");
    const [shopDump] = (await call("GET", "/api/apps/shop/addons/dumps")).json<{
      items: Array<{ id: string }>;
    }>().items;
    for (const fromDump of ["bk_nope", "../../etc/passwd", shopDump?.id ?? ""]) {
      const res = await call("POST", "/api/apps/blog/addons", { type: "postgres", fromDump }, h.bob.token);
      expectProblem(res, 404, "ADDON_DUMP_NOT_FOUND");
    }
    expectProblem(
      await call("GET", "/api/apps/shop/addons/dumps", undefined, h.bob.token),
      404,
      "APP_NOT_FOUND",
    );
    // A final dump of the machine Kli8nt ran on before is a file the cluster cannot read.
    const blog = await getApp(h.database.db, h.bob.user.id, "blog");
    const local = await requestBackup(h.database.db, {
      appId: blog.id,
      addonId: null,
      database: "app_blog_00000000",
      kind: "final",
    });
    await markBackup(h.database.db, local.id, {
      status: "done",
      location: "file:blog-app_blog_00000000-x.sql",
    });
    const res = await call(
      "POST",
      "/api/apps/blog/addons",
      { type: "postgres", fromDump: local.id },
      h.bob.token,
    );
    expectProblem(res, 409, "ADDON_DUMP_NOT_IN_CLUSTER");
  });
});
