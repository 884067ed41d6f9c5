import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import {
  createApiToken,
  createApp,
  createUser,
  type Database,
  IN_MEMORY,
  openDatabase,
  SecretBox,
  writeRequestMinutes,
} from "@kli8nt/db";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../testing.ts";
import { sparkline } from "./metrics.ts";

// The real `kli8nt` entry point as a child process against a real api on PGlite.

let dir: string;
let database: Database;
let api: FastifyInstance;
let url: string;
let token: string;

function kli8nt(args: string[]): Promise<CliRun> {
  return runCli(args, { url, token, configDir: path.join(dir, "c") });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kli8nt-metrics-cli-"));
  database = await openDatabase({ dataDir: IN_MEMORY });
  const config = loadConfig({ KLI8NT_DATA_DIR: dir, KLI8NT_LOG_LEVEL: "silent" });
  api = await buildApi({
    config,
    db: database.db,
    box: new SecretBox(randomBytes(32)),
    onOutboxWrite: () => undefined,
  });
  url = await api.listen({ host: "127.0.0.1", port: 0 });
  const user = await createUser(database.db, { login: "erin" });
  token = (await createApiToken(database.db, user.id, "t")).token;
  await createApp(database.db, user.id, {
    name: "shop",
    repository: { url: "https://example.com/shop.git", branch: "main", rootDir: "." },
    port: null,
  });
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000).toISOString();
  await writeRequestMinutes(database.db, [
    {
      app: "shop",
      process: "web",
      minute,
      requests: 120,
      status: { "1xx": 0, "2xx": 114, "3xx": 0, "4xx": 0, "5xx": 6 },
      latencyBuckets: [0, 0, 0, 120],
      latencySumMs: 1200,
    },
  ]);
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("kli8nt metrics and notifications", () => {
  it("summarises an app's last hour, and prints the series with --json", async () => {
    const text = await kli8nt(["metrics", "shop"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("requests  120 (0.03/s)");
    expect(text.stdout).toContain("5xx       6 (5.0%)");
    expect(text.stdout).toMatch(/latency {3}p50 \d+ ms/);
    const json = await kli8nt(["metrics", "shop", "--json", "--range", "24h"]);
    const body = JSON.parse(json.stdout) as { series: { process: string; points: { requests: number }[] }[] };
    expect(body.series[0]?.points.reduce((n, p) => n + p.requests, 0)).toBe(120);
    expect((await kli8nt(["metrics", "shop", "--range", "2w"])).code).toBe(2);
  }, 60_000);

  it("adds a webhook (secret printed once), lists it, and removes it", async () => {
    const added = await kli8nt(["notifications", "add", "shop", "--webhook", "https://hooks.example.com/x"]);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^Added ntf_[0-9a-f]{32} \(webhook → https:\/\/hooks\.example\.com;/);
    expect(added.stdout).toMatch(/^whsec_/m);
    const id = /ntf_[0-9a-f]{32}/.exec(added.stdout)?.[0] ?? "";
    const listed = await kli8nt(["notifications", "list", "shop", "--json"]);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id, type: "webhook" })]);
    expect(listed.stdout).not.toContain("whsec_");
    expect((await kli8nt(["notifications", "remove", "shop", id])).code).toBe(0);
    expect((await kli8nt(["notifications", "add", "shop"])).code).toBe(2);
  }, 60_000);

  it("draws sparklines scaled to the highest value", () => {
    expect(sparkline([0, 4, 8])).toBe(" ▄█");
    expect(sparkline([0, 0])).toBe("");
  });
});
