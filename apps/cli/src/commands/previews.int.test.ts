import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import { newId } from "@kli8nt/core";
import {
  createApiToken,
  createApp,
  createUser,
  type Database,
  openTestDatabase,
  SecretBox,
  schema,
  setPreviewSettings,
  TEST_DATABASE_URL,
  upsertPreview,
} from "@kli8nt/db";
import { createFileLogStore, type LogStore } from "@kli8nt/logstore";
import { failUnderCi } from "@kli8nt/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../testing.ts";

// `kli8nt previews` through the real entry point, against the real api on a real PostgreSQL database; the
// previews are made by the same repository calls the pull_request webhook makes.
const noPostgres = failUnderCi(
  !TEST_DATABASE_URL,
  "KLI8NT_TEST_DATABASE_URL is not set: run through `npm test` or `scripts/with-services.sh postgres`",
);

let dir: string;
let database: Database;
let api: FastifyInstance;
let logs: LogStore;
let url: string;
let token: string;

function kli8nt(args: string[]): Promise<CliRun> {
  return runCli(args, { url, token, configDir: path.join(dir, "cfg") });
}

const SHA = "0123456789abcdef0123456789abcdef01234567";
const DAY = 86_400_000;

interface Closed {
  readonly number: number;
  readonly app: string;
  readonly title: string;
  readonly closedAt: string;
  readonly logsUntil: string;
}

describe.skipIf(noPostgres)("kli8nt previews", () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "kli8nt-cli-previews-"));
    database = await openTestDatabase("postgres");
    logs = createFileLogStore({ dataDir: path.join(dir, "logs") });
    const config = loadConfig({
      KLI8NT_DATA_DIR: dir,
      KLI8NT_LOG_LEVEL: "silent",
      KLI8NT_APP_URL_TEMPLATE: "http://{app}.apps.test",
    });
    api = await buildApi({
      config,
      db: database.db,
      box: new SecretBox(randomBytes(32)),
      onOutboxWrite: () => undefined,
      // With a log store a torn-down preview is remembered as closed, its logs kept (ADR 0203).
      logs,
    });
    url = await api.listen({ host: "127.0.0.1", port: 0 });
    const user = await createUser(database.db, { login: "frank" });
    token = (await createApiToken(database.db, user.id, "cli")).token;
    const repository = { url: "https://example.com/frank/shop.git", branch: "main", rootDir: "." };
    const shop = await createApp(database.db, user.id, { name: "shop", repository, port: null });
    await createApp(database.db, user.id, { name: "blog", repository, port: null });
    await setPreviewSettings(database.db, shop.id, {
      mode: "label",
      label: "preview",
      max: 3,
      allowForks: false,
      env: {},
    });
    for (const [prNumber, headRef] of [
      [4, "faster"],
      [7, "dark-mode"],
    ] as const) {
      const { preview } = await upsertPreview(database.db, shop, {
        prNumber,
        title: `Make ${headRef}`,
        prUrl: `https://example.com/frank/shop/pull/${prNumber}`,
        headRepo: "frank/shop",
        cloneUrl: repository.url,
        headRef,
        headSha: SHA,
        fork: false,
      });
      await database.db.insert(schema.deployments).values({
        id: newId("dep"),
        appId: preview.app.id,
        number: 1,
        state: prNumber === 4 ? "live" : "building",
        trigger: "push",
        ref: headRef,
        commitSha: SHA,
        ...(prNumber === 4 ? { url: "http://shop-pr-4.apps.test" } : {}),
      });
    }
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await logs?.close();
    await database?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows the settings, then the open previews with state, URL and head", async () => {
    const run = await kli8nt(["previews", "shop"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines.slice(0, 6)).toEqual([
      'mode              label (pull requests labelled "preview")',
      "label             preview",
      "max               3 at a time, the oldest torn down first",
      "allowForks        false",
      "database          empty (with a Postgres add-on)",
      "logRetentionDays  7 (a closed preview's logs)",
    ]);
    expect(lines[6]).toBe("");
    expect(lines[7]).toMatch(/^PR\s+STATE\s+URL\s+HEAD\s+TITLE$/);
    expect(lines[8]).toMatch(/^#4\s+live\s+http:\/\/shop-pr-4\.apps\.test\s+faster@0123456\s+Make faster$/);
    expect(lines[9]).toMatch(/^#7\s+building\s+http:\/\/shop-pr-7\.apps\.test\s+dark-mode@0123456/);
    expect(run.stdout).not.toContain("Recently closed");
  });

  it("prints the list as JSON with --json", async () => {
    const run = await kli8nt(["previews", "shop", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const list = JSON.parse(run.stdout) as {
      settings: unknown;
      items: Array<Record<string, unknown>>;
      closed: unknown[];
    };
    expect(list.settings).toEqual({
      mode: "label",
      label: "preview",
      max: 3,
      allowForks: false,
      env: {},
      database: "empty",
      logRetentionDays: 7,
    });
    expect(list.closed).toEqual([]);
    expect(list.items.map((p) => [p.number, p.app, p.state])).toEqual([
      [4, "shop-pr-4", "live"],
      [7, "shop-pr-7", "building"],
    ]);
    const apps = await kli8nt(["apps", "--json"]);
    expect((JSON.parse(apps.stdout) as Array<{ name: string }>).map((a) => a.name).sort()).toEqual([
      "blog",
      "shop",
    ]);
  });

  it("tears a preview down with --tear-down, and exits 3 for one that is not there", async () => {
    const run = await kli8nt(["previews", "shop", "--tear-down", "7"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("Tore down shop-pr-7\n");
    const after = JSON.parse((await kli8nt(["previews", "shop", "--json"])).stdout) as { items: unknown[] };
    expect(after.items).toHaveLength(1);
    const again = await kli8nt(["previews", "shop", "--tear-down", "7"]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("no preview of #7");
  });

  it("lists a torn-down preview as recently closed, with when its logs go", async () => {
    const list = JSON.parse((await kli8nt(["previews", "shop", "--json"])).stdout) as { closed: Closed[] };
    expect(list.closed).toHaveLength(1);
    const [closed] = list.closed as [Closed];
    expect(closed).toMatchObject({ number: 7, app: "shop-pr-7", title: "Make dark-mode" });
    expect(Date.parse(closed.logsUntil) - Date.parse(closed.closedAt)).toBe(7 * DAY);
    const run = await kli8nt(["previews", "shop"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split("\n");
    const at = lines.indexOf("Recently closed");
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^PR\s+CLOSED\s+LOGS UNTIL\s+TITLE$/);
    expect(lines[at + 2]?.split(/\s+/)).toEqual([
      "#7",
      closed.closedAt,
      closed.logsUntil,
      "Make",
      "dark-mode",
    ]);
  });

  it("changes the settings with --set KEY=VALUE…, and the closed preview's logs follow the new retention", async () => {
    const run = await kli8nt([
      "previews",
      "shop",
      "--set",
      "mode=all",
      "label=preview-me",
      "max=5",
      "database=copy",
      "logRetentionDays=3",
      "allowForks=true",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe(
      "Saved the preview settings of shop; they apply from the next pull request event\n",
    );
    expect(run.stdout).toContain("mode              all\n");
    expect(run.stdout).toContain("allowForks        true (forks deployed, without secrets)\n");
    expect(run.stdout).toContain("logRetentionDays  3 (a closed preview's logs)\n");
    const list = JSON.parse((await kli8nt(["previews", "shop", "--json"])).stdout) as {
      settings: unknown;
      closed: Closed[];
    };
    expect(list.settings).toEqual({
      mode: "all",
      label: "preview-me",
      max: 5,
      allowForks: true,
      env: {},
      database: "copy",
      logRetentionDays: 3,
    });
    const [closed] = list.closed as [Closed];
    expect(Date.parse(closed.logsUntil) - Date.parse(closed.closedAt)).toBe(3 * DAY);
    // --json on a change prints the settings as the api now has them; absent keys keep theirs.
    const json = await kli8nt(["previews", "shop", "--set=mode=label", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ mode: "label", label: "preview-me", max: 5 });
  });

  it("prints the api's detail and exits 1 when it refuses a setting, 2 for a usage mistake", async () => {
    const tooMany = await kli8nt(["previews", "shop", "--set", "max=25"]);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/^kli8nt: body\.previews\.max: .*20/);
    const mode = await kli8nt(["previews", "shop", "--set", "mode=sometimes"]);
    expect(mode.code).toBe(1);
    expect(mode.stderr).toMatch(/^kli8nt: body\.previews\.mode: /);
    const usage = [
      ["--set", "max=three"],
      ["--set", "allowForks=yes"],
      ["--set", "color=red"],
      ["--set"],
      ["mode=all"],
      ["--set", "mode=all", "--tear-down", "4"],
    ];
    for (const args of usage) {
      const run = await kli8nt(["previews", "shop", ...args]);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(/^kli8nt: /);
    }
    expect((await kli8nt(["previews", "nope", "--set", "mode=all"])).code).toBe(3);
    const after = JSON.parse((await kli8nt(["previews", "shop", "--json"])).stdout) as { settings: unknown };
    expect(after.settings).toMatchObject({ mode: "label", max: 5, allowForks: true });
  });

  it("says when there is none, and refuses a bad number or an unknown app", async () => {
    const none = await kli8nt(["previews", "blog"]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout.split("\n")[0]).toBe("mode              off");
    expect(none.stdout).not.toContain("Recently closed");
    expect(none.stderr).toBe("No open previews\n");
    expect((await kli8nt(["previews", "shop", "--tear-down", "x"])).code).toBe(2);
    expect((await kli8nt(["previews"])).code).toBe(2);
    expect((await kli8nt(["previews", "nope"])).code).toBe(3);
  });
});
