import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import { createApiToken, createUser, type Database, IN_MEMORY, openDatabase, SecretBox } from "@kli8nt/db";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appsCommand, type RemoteContext } from "./remote.ts";

// `kli8nt apps create/update` with the plan-override flags and without --branch, against the real api.
let dir: string;
let database: Database;
let api: FastifyInstance;
let url: string;
let token: string;
let repo: string;

function capture() {
  const out: string[] = [];
  const ctx: RemoteContext = {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => undefined } },
    env: { KLI8NT_URL: url, KLI8NT_TOKEN: token, KLI8NT_CONFIG_DIR: path.join(dir, "cfg") },
  };
  return { ctx, out: () => out.join("") };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kli8nt-cli-settings-"));
  repo = path.join(dir, "repo");
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir });
  git("init", "--quiet", "--initial-branch=master", repo);
  git("-C", repo, "commit", "--quiet", "--allow-empty", "-m", "first");
  database = await openDatabase({ dataDir: IN_MEMORY });
  const config = loadConfig({
    KLI8NT_DATA_DIR: dir,
    KLI8NT_LOG_LEVEL: "silent",
    KLI8NT_ALLOW_LOCAL_REPOS: "true",
  });
  api = await buildApi({
    config,
    db: database.db,
    box: new SecretBox(randomBytes(32)),
    onOutboxWrite: () => undefined,
  });
  url = await api.listen({ host: "127.0.0.1", port: 0 });
  const user = await createUser(database.db, { login: "dora" });
  token = (await createApiToken(database.db, user.id, "cli")).token;
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("kli8nt apps create/update with settings", () => {
  it("creates on the repository's default branch with the settings given, then updates and clears them", async () => {
    const created = capture();
    const argv = ["create", "tuned", "--repo", repo, "--start-command", "node server.js", "--target", "web"];
    expect(await appsCommand(argv, created.ctx)).toBe(0);
    expect(created.out()).toContain("branch master");
    expect(created.out()).toContain("startCommand node server.js");
    expect(created.out()).toContain("buildTarget web");

    const updated = capture();
    const update = ["update", "tuned", "--start-command", "", "--dockerfile", "ops/Containerfile"];
    expect(await appsCommand(update, updated.ctx)).toBe(0);
    expect(updated.out()).not.toContain("startCommand");
    expect(updated.out()).toContain("dockerfilePath ops/Containerfile");
    expect(updated.out()).toContain("buildTarget web");
  });

  it("refuses an update with nothing to change", async () => {
    await expect(appsCommand(["update", "tuned"], capture().ctx)).rejects.toThrow(/nothing to change/);
  });
});
