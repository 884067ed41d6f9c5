import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, createAddonService, createLogger, loadAddonsConfig, loadConfig } from "@kli8nt/api";
import {
  createApiToken,
  createApp,
  createUser,
  type Database,
  markBackup,
  openTestDatabase,
  SecretBox,
  TEST_DATABASE_URL,
  updateAddon,
} from "@kli8nt/db";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../testing.ts";

// `kli8nt addons` through the real entry point against the real api, whose add-ons live on the real
// PostgreSQL of scripts/infra/postgres.sh (KLI8NT_ADDONS=url, as loadAddonsConfig reads it).
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

function kli8nt(args: string[]): Promise<CliRun> {
  return runCli(args, { url, token, configDir: path.join(dir, "cfg") });
}

describe.skipIf(missing)("kli8nt addons", () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "kli8nt-cli-addons-"));
    database = await openTestDatabase("postgres");
    const box = new SecretBox(randomBytes(32));
    addons = createAddonService(
      loadAddonsConfig({
        KLI8NT_ADDONS: "url",
        KLI8NT_ADDONS_POSTGRES_URL: TEST_DATABASE_URL,
        KLI8NT_DATA_DIR: dir,
        PATH: `/usr/lib/postgresql/15/bin:${process.env.PATH ?? "/usr/bin:/bin"}`,
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
    url = await api.listen({ host: "127.0.0.1", port: 0 });
    const user = await createUser(database.db, { login: "grace" });
    token = (await createApiToken(database.db, user.id, "cli")).token;
    await createApp(database.db, user.id, {
      name: "shop",
      repository: { url: "https://example.com/shop.git", branch: "main", rootDir: "." },
      port: null,
    });
  }, 120_000);

  afterAll(async () => {
    await addons?.stop();
    await api?.close();
    await database?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // About eight CLI runs, each a node start (up to 11 s apiece at load 14): more than the default 30 s.
  it("creates, lists, backs up and deletes (with --confirm) an add-on", async () => {
    const created = await kli8nt(["addons", "create", "shop", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    await eventually("the add-on ready", async () => {
      const list = await kli8nt(["addons", "list", "shop", "--json"]);
      const items = JSON.parse(list.stdout) as Array<{ status: string }>;
      return items[0]?.status === "ready" ? true : undefined;
    });
    const table = await kli8nt(["addons", "list", "shop"]);
    expect(table.stdout).toContain(id);
    expect(table.stdout).toContain("ready");

    const backup = await kli8nt(["addons", "backup", "shop", id]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain(`Backed up ${id}`);

    const unconfirmed = await kli8nt(["addons", "delete", "shop", id]);
    expect(unconfirmed.code, unconfirmed.stderr).toBe(2);
    const wrong = await kli8nt(["addons", "delete", "shop", id, "--confirm", "blog"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('{"confirm":"shop"}');

    const deleted = await kli8nt(["addons", "delete", "shop", id, "--confirm", "shop"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    const [, dumpId = "", dump = ""] = /final dump is (\S+) at (\S+)/.exec(deleted.stdout) ?? [];
    expect(dump.startsWith(path.join(dir, "addons", "dumps"))).toBe(true);
    expect(existsSync(dump)).toBe(true);

    const dumps = await kli8nt(["addons", "dumps", "shop"]);
    expect(dumps.code, dumps.stderr).toBe(0);
    expect(dumps.stdout).toMatch(new RegExp(`${dumpId}\\s+app_shop_\\w+\\s+\\S+\\s+[\\d.]+ MB\\s+done`));
    const again = await kli8nt(["addons", "create", "shop", "--from-dump", dumpId]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Restore of ${dumpId} done`);
    const unknown = await kli8nt(["addons", "create", "shop", "--from-dump", "bk_nope"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("No final dump bk_nope of this app");
  }, 180_000);
});

// The same commands against an api in cluster mode (KLI8NT_ADDONS=kubernetes, ADR 0228): they request,
// and show the state the deploy controller records (here written as it would, on the rows).
describe("kli8nt addons in cluster mode", () => {
  let cluster: { api: FastifyInstance; database: Database; url: string; token: string };
  let kdir = "";
  const kube = (args: string[]) =>
    runCli(args, { url: cluster.url, token: cluster.token, configDir: path.join(kdir, "cfg") });

  beforeAll(async () => {
    kdir = mkdtempSync(path.join(tmpdir(), "kli8nt-cli-addons-k8s-"));
    const db = await openTestDatabase("pglite");
    const box = new SecretBox(randomBytes(32));
    const service = createAddonService(
      loadAddonsConfig({ KLI8NT_ADDONS: "kubernetes", KLI8NT_DATA_DIR: kdir }),
      {
        db: db.db,
        box,
        logger: createLogger("silent"),
      },
    );
    const clusterApi = await buildApi({
      config: loadConfig({ KLI8NT_DATA_DIR: kdir, KLI8NT_LOG_LEVEL: "silent" }),
      db: db.db,
      box,
      onOutboxWrite: () => undefined,
      addons: service,
    });
    const user = await createUser(db.db, { login: "hopper" });
    await createApp(db.db, user.id, {
      name: "shop",
      repository: { url: "https://example.com/shop.git", branch: "main", rootDir: "." },
      port: null,
    });
    cluster = {
      api: clusterApi,
      database: db,
      url: await clusterApi.listen({ host: "127.0.0.1", port: 0 }),
      token: (await createApiToken(db.db, user.id, "cli")).token,
    };
  }, 120_000);

  afterAll(async () => {
    await cluster?.api.close();
    await cluster?.database.close();
    if (kdir) rmSync(kdir, { recursive: true, force: true });
  });

  it("requests backups, restores and the delete's final dump, and shows their status", async () => {
    const created = await kube(["addons", "create", "shop", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    await updateAddon(cluster.database.db, id, { status: "ready" });

    const backup = await kube(["addons", "backup", "shop", id]);
    expect(backup.code, backup.stderr).toBe(0);
    const backupId = /Requested backup (bk_\w+)/.exec(backup.stdout)?.[1] ?? "";
    expect(backupId).not.toBe("");
    await markBackup(cluster.database.db, backupId, { status: "error", detail: "Job failed: disk full" });
    const list = await kube(["addons", "backups", "shop", id]);
    expect(list.stdout).toMatch(new RegExp(`${backupId}.*error\\s+Job failed: disk full`));

    await markBackup(cluster.database.db, backupId, { status: "done", sizeBytes: 1048576 });
    const restore = await kube(["addons", "restore", "shop", id, backupId]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain(`Requested restore of ${backupId}`);
    const twice = await kube(["addons", "restore", "shop", id, backupId]);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain("already requested");
    const listed = await kube(["addons", "list", "shop"]);
    expect(listed.stdout).toContain(`${backupId} requested`);

    const deleted = await kube(["addons", "delete", "shop", id, "--confirm", "shop"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(/Deleting adn_\w+ once its final dump bk_\w+ is done/);
    const dumps = await kube(["addons", "dumps", "shop"]);
    expect(dumps.stdout).toMatch(/bk_\w+\s+app_shop_\w+\s+\S+\s+-\s+requested/);
  }, 180_000);
});
