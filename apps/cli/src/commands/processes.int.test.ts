import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import { newId } from "@kli8nt/core";
import {
  createApiToken,
  createApp,
  createUser,
  type Database,
  IS_CI,
  openTestDatabase,
  SecretBox,
  schema,
  TEST_DATABASE_URL,
} from "@kli8nt/db";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../testing.ts";

// The real `kli8nt` entry point as a child process against the real api on a real PostgreSQL database.

let dir: string;
let database: Database;
let api: FastifyInstance;
let url: string;
let token: string;

function kli8nt(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCli(args, { url, token, configDir: path.join(dir, "cfg"), env });
}

const json = async <T>(args: string[]): Promise<T> => {
  const run = await kli8nt([...args, "--json"]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
};

interface Ps {
  stopped: boolean;
  release: { number: number; restarts: number } | null;
  processes: { type: string; count: number; memory: string; state: string }[];
}

describe.skipIf(!TEST_DATABASE_URL && !IS_CI)(
  "kli8nt env, ps, scale, lifecycle, cron, apps delete, open",
  () => {
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "kli8nt-cli-ps-"));
      database = await openTestDatabase("postgres");
      const config = loadConfig({
        KLI8NT_DATA_DIR: dir,
        KLI8NT_LOG_LEVEL: "silent",
        KLI8NT_MAX_INSTANCES_PER_APP: "4",
      });
      api = await buildApi({
        config,
        db: database.db,
        box: new SecretBox(randomBytes(32)),
        onOutboxWrite: () => undefined,
      });
      url = await api.listen({ host: "127.0.0.1", port: 0 });
      const user = await createUser(database.db, { login: "frank" });
      token = (await createApiToken(database.db, user.id, "cli")).token;
      const repository = (name: string) => ({
        url: `https://example.com/${name}.git`,
        branch: "main",
        rootDir: ".",
      });
      const shop = await createApp(database.db, user.id, {
        name: "shop",
        repository: repository("shop"),
        port: null,
      });
      await createApp(database.db, user.id, { name: "blog", repository: repository("blog"), port: null });
      // A release the deploy controller made live, with the process types its Procfile declared.
      await database.db.insert(schema.deployments).values({
        id: newId("dep"),
        appId: shop.id,
        number: 1,
        state: "live",
        trigger: "manual",
        ref: "main",
        image: "localhost/kli8nt/shop@sha256:0",
        processes: { web: null, worker: "node worker.js" },
      });
    }, 120_000);

    afterAll(async () => {
      await api?.close();
      await database?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("sets, lists and unsets variables, never printing a secret's value", async () => {
      const set = await kli8nt(["env", "set", "shop", "PLAIN=one", "URL=a=b"]);
      expect(set.code, set.stderr).toBe(0);
      const secret = await kli8nt(["env", "set", "shop", "API_KEY=s3cr3t-value", "--secret", "--build"]);
      expect(secret.code).toBe(0);
      expect(secret.stdout + secret.stderr).not.toContain("s3cr3t-value");
      // Setting another key keeps the secret (the api gets null back for it, which keeps the stored value).
      expect((await kli8nt(["env", "set", "shop", "PLAIN=two"])).code).toBe(0);
      const vars = await json<{ key: string; value: string | null; secret: boolean; build: boolean }[]>([
        "env",
        "list",
        "shop",
      ]);
      expect(vars).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ key: "PLAIN", value: "two", secret: false, build: false }),
          expect.objectContaining({ key: "URL", value: "a=b", secret: false, build: false }),
          expect.objectContaining({ key: "API_KEY", value: null, secret: true, build: true }),
        ]),
      );
      const text = await kli8nt(["env", "list", "shop"]);
      expect(text.stdout).toMatch(/API_KEY\s+\(secret, hidden\)\s+secret,build/);
      expect(text.stdout).not.toContain("s3cr3t");
      const unset = await kli8nt(["env", "unset", "shop", "URL", "NOPE"]);
      expect(unset.code).toBe(0);
      expect(unset.stderr).toContain("Not set: NOPE");
      expect((await json<{ key: string }[]>(["env", "list", "shop"])).map((v) => v.key).sort()).toEqual([
        "API_KEY",
        "PLAIN",
      ]);
      expect((await kli8nt(["env", "set", "shop", "novalue"])).code).toBe(2);
      const bad = await kli8nt(["env", "set", "shop", "1BAD=x"]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/env var names/);
    }, 120_000);

    it("shows and scales the formation, with sizes, and explains what the api refuses", async () => {
      const before = await json<Ps>(["ps", "shop"]);
      expect(before.release?.number).toBe(1);
      expect(before.processes.map((p) => [p.type, p.count, p.state])).toEqual([
        ["web", 1, "running"],
        ["worker", 1, "running"],
      ]);
      const scaled = await kli8nt(["scale", "shop", "web=2:1Gi", "worker=0"]);
      expect(scaled.code, scaled.stderr).toBe(0);
      expect(scaled.stdout).toMatch(/web\s+2\s+1Gi/);
      const after = await json<Ps>(["ps", "shop"]);
      expect(after.processes.map((p) => [p.type, p.count, p.memory, p.state])).toEqual([
        ["web", 2, "1Gi", "running"],
        ["worker", 0, "512Mi", "scaled to 0"],
      ]);
      const text = await kli8nt(["ps", "shop"]);
      expect(text.stdout).toMatch(/^shop: release v1, 0 restarts$/m);
      expect(text.stdout).toMatch(/worker\s+0\s+512Mi 0\.5 CPU\s+scaled to 0\s+node worker\.js/);

      expect((await kli8nt(["scale", "shop", "web"])).code).toBe(2);
      expect((await kli8nt(["scale", "shop"])).code).toBe(2);
      const unknown = await kli8nt(["scale", "shop", "clock=1"]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no process type "clock"');
      const over = await kli8nt(["scale", "shop", "web=5"]);
      expect(over.code).toBe(1);
      expect(over.stderr).not.toMatch(/at .*\.ts:\d+/); // a detail, not a stack trace
      expect((await kli8nt(["ps", "ghost"])).code).toBe(3);
    }, 120_000);

    it("stops, starts (kli8nt start <app>, not the platform) and restarts an app", async () => {
      const stop = await kli8nt(["stop", "shop"]);
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.stdout).toContain("Stopped shop");
      const stopped = await json<Ps>(["ps", "shop"]);
      expect(stopped.stopped).toBe(true);
      expect(stopped.processes.every((p) => p.state === "stopped")).toBe(true);
      const start = await kli8nt(["start", "shop", "--json"]);
      expect(start.code, start.stderr).toBe(0);
      expect(JSON.parse(start.stdout)).toMatchObject({ name: "shop", stopped: false });
      expect((await json<Ps>(["ps", "shop"])).processes[0]?.state).toBe("running");
      expect((await kli8nt(["restart", "shop"])).stdout).toContain("Restarting shop");
      expect((await kli8nt(["restart", "ghost"])).code).toBe(3);
    }, 120_000);

    it("adds, lists, shows runs of and removes cron jobs", async () => {
      const add = await kli8nt([
        "cron",
        "add",
        "shop",
        "nightly",
        "--schedule",
        "0 3 * * *",
        "--command",
        "node tasks/nightly.js",
      ]);
      expect(add.code, add.stderr).toBe(0);
      expect(add.stdout).toMatch(/^Added nightly \(0 3 \* \* \* UTC\); next run \d{4}-/);
      const jobs = await json<{ name: string; nextRunAt: string; lastRun: null }[]>(["cron", "list", "shop"]);
      expect(jobs).toEqual([expect.objectContaining({ name: "nightly", lastRun: null })]);
      expect((await kli8nt(["cron", "list", "shop"])).stdout).toMatch(
        /nightly\s+0 3 \* \* \*\s+\S+\s+never ran/,
      );
      expect(await json<unknown[]>(["cron", "runs", "shop", "nightly"])).toEqual([]);
      const badSchedule = await kli8nt([
        "cron",
        "add",
        "shop",
        "x",
        "--schedule",
        "61 * * * *",
        "--command",
        "true",
      ]);
      expect(badSchedule.code).toBe(1);
      expect(badSchedule.stderr.length).toBeGreaterThan(0);
      expect((await kli8nt(["cron", "add", "shop", "x", "--schedule", "* * * * *"])).code).toBe(2);
      expect((await kli8nt(["cron", "remove", "shop", "nightly"])).code).toBe(0);
      expect((await kli8nt(["cron", "runs", "shop", "nightly"])).code).toBe(3);
      expect((await kli8nt(["cron", "frob", "shop"])).code).toBe(2);
    }, 120_000);

    it("opens the app's URL with the platform's opener, or prints it when there is none", async () => {
      const bin = path.join(dir, "bin");
      mkdirSync(bin);
      const seen = path.join(dir, "opened.txt");
      writeFileSync(path.join(bin, "xdg-open"), `#!/bin/sh\nprintf '%s' "$1" > '${seen}'\n`);
      chmodSync(path.join(bin, "xdg-open"), 0o755);
      const opened = await kli8nt(["open", "shop"], { PATH: `${bin}:${path.dirname(process.execPath)}` });
      expect(opened.code, opened.stderr).toBe(0);
      expect(opened.stdout).toMatch(/^Opening http/);
      await expect.poll(() => readFileSync(seen, "utf8"), { timeout: 10_000 }).toMatch(/shop/);
      // No opener on PATH (a server, CI), or --no-browser: the URL alone, for `curl $(kli8nt open shop)`.
      const printed = await kli8nt(["open", "shop"], { PATH: path.join(dir, "empty") });
      expect(printed.stdout.trim()).toMatch(/^https?:\/\/\S*shop\S*$/);
      expect((await kli8nt(["open", "shop", "--no-browser"], { PATH: bin })).stdout).not.toContain("Opening");
    }, 120_000);

    it("deletes an app only with the exact --confirm, and reads stay scriptable", async () => {
      const apps = await json<{ name: string }[]>(["apps", "list"]);
      expect(apps.map((a) => a.name).sort()).toEqual(["blog", "shop"]);
      const status = await json<{ app: { name: string }; deployments: unknown[] }>(["status", "blog"]);
      expect(status).toEqual({ app: expect.objectContaining({ name: "blog" }), deployments: [] });
      const refused = await kli8nt(["apps", "delete", "blog"]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("kli8nt apps delete blog --confirm blog");
      expect((await kli8nt(["apps", "delete", "blog", "--confirm", "shop"])).code).toBe(2);
      expect((await json<unknown[]>(["apps"])).length).toBe(2);
      const deleted = await kli8nt(["apps", "delete", "blog", "--confirm", "blog"]);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect((await kli8nt(["status", "blog"])).code).toBe(3);
      const help = await kli8nt(["--help"]);
      expect(help.stdout).toMatch(/Exit codes: 0 ok, 1 error, 2 usage mistake, 3 not found/);
      expect((await kli8nt(["frobnicate"])).code).toBe(2);
      expect((await kli8nt(["ps", "shop"], { KLI8NT_TOKEN: "k8t_wrong" })).code).toBe(4);
    }, 120_000);
  },
);
