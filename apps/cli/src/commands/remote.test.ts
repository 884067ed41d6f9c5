import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import {
  createApiToken,
  createUser,
  type Database,
  IN_MEMORY,
  openDatabase,
  SecretBox,
  transitionDeployment,
  updateDeploymentConditions,
} from "@kli8nt/db";
import { createFileLogStore, type LogStore } from "@kli8nt/logstore";
import { eventually } from "@kli8nt/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appsCommand,
  deployCommand,
  loginCommand,
  logsCommand,
  type RemoteContext,
  statusCommand,
} from "./remote.ts";

let dir: string;
let database: Database;
let logs: LogStore;
let api: FastifyInstance;
let url: string;
let token: string;

function capture(env: RemoteContext["env"] = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: RemoteContext = {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    env: { KLI8NT_URL: url, KLI8NT_TOKEN: token, KLI8NT_CONFIG_DIR: path.join(dir, "cfg"), ...env },
    pollMs: 50,
  };
  return { ctx, out: () => out.join(""), err: () => err.join("") };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kli8nt-cli-"));
  database = await openDatabase({ dataDir: IN_MEMORY });
  logs = createFileLogStore({ dataDir: path.join(dir, "logs") });
  const config = loadConfig({ KLI8NT_DATA_DIR: dir, KLI8NT_LOG_LEVEL: "silent" });
  api = await buildApi({
    config,
    db: database.db,
    box: new SecretBox(randomBytes(32)),
    onOutboxWrite: () => undefined,
    logs,
  });
  url = await api.listen({ host: "127.0.0.1", port: 0 });
  const user = await createUser(database.db, { login: "carol" });
  token = (await createApiToken(database.db, user.id, "cli")).token;
});
afterAll(async () => {
  await api?.close();
  await logs?.close();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("kli8nt against a real api", () => {
  it("logs in, saving the token with mode 0600, and refuses a bad token", async () => {
    const ok = capture({ KLI8NT_TOKEN: undefined });
    expect(await loginCommand(["--url", url, "--token", token], ok.ctx)).toBe(0);
    expect(ok.out()).toContain("as carol");
    const file = path.join(dir, "cfg", "credentials.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ url, token });
    await expect(loginCommand(["--url", url, "--token", "k8t_wrong"], capture().ctx)).rejects.toThrow(
      /invalid or has been revoked/,
    );
  });

  it("creates and lists apps, and reports the api's detail on bad input", async () => {
    const c = capture();
    expect(
      await appsCommand(
        ["create", "cli-app", "--repo", "https://github.com/acme/cli-app", "--branch", "main"],
        c.ctx,
      ),
    ).toBe(0);
    expect(c.out()).toContain("http://cli-app.localhost:8000");
    await expect(
      appsCommand(["create", "Bad_Name", "--repo", "https://github.com/a/b"], capture().ctx),
    ).rejects.toThrow(/lowercase/);
    const list = capture();
    await appsCommand(["list"], list.ctx);
    expect(list.out()).toMatch(/cli-app\s+never deployed/);
  });

  it("deploy --wait streams the deployment's build log and ends with the URL", async () => {
    const c = capture();
    const running = deployCommand(["cli-app", "--wait"], c.ctx);
    // Play the controllers' part: log lines and state changes, as the pipeline would.
    const deploymentId = await eventually(
      "the deployment the CLI started",
      async () =>
        (await api.inject({ url: "/api/apps/cli-app", headers: { authorization: `Bearer ${token}` } })).json()
          .latestDeployment?.id,
      5_000,
      25,
    );
    const appId = (
      await api.inject({ url: "/api/apps/cli-app", headers: { authorization: `Bearer ${token}` } })
    ).json().id;
    await transitionDeployment(database.db, deploymentId, "build:building", "building");
    const record = (line: string) => ({
      timestamp: new Date().toISOString(),
      appId,
      deploymentId,
      phase: "build" as const,
      source: "builder",
      stream: "stdout" as const,
      line,
    });
    await logs.append(appId, [record("STEP 1/3: FROM node"), record("STEP 2/3: RUN npm ci")]);
    await transitionDeployment(database.db, deploymentId, "build:built", "built", { image: "sha256:1" });
    await transitionDeployment(database.db, deploymentId, "deploy:deploying", "deploying");
    await new Promise((r) => setTimeout(r, 300));
    await transitionDeployment(database.db, deploymentId, "deploy:live", "live", {
      url: "http://cli-app.localhost:8000",
    });
    expect(await running).toBe(0);
    expect(c.out()).toContain("STEP 1/3: FROM node\nSTEP 2/3: RUN npm ci\n");
    expect(c.out()).toContain("v1 is live at http://cli-app.localhost:8000");

    const status = capture();
    await statusCommand(["cli-app"], status.ctx);
    expect(status.out()).toMatch(/v1\s+live/);
    expect(status.out()).toContain("running, 0 restarts");
    // What the heal loop records when the release keeps dying (ADR 0161).
    const dying = { type: "degraded", status: "true", reason: "CrashLoop" } as const;
    const message = "The release exited with code 137; back-off 4 s. Last output: out of memory";
    await updateDeploymentConditions(
      database.db,
      { id: deploymentId, conditions: [] },
      [{ ...dying, message }],
      new Date(),
      { countRestart: true },
    );
    const looping = capture();
    await statusCommand(["cli-app"], looping.ctx);
    expect(looping.out()).toContain("crash loop, 1 restart\n");
    expect(looping.out()).toContain(`CrashLoop: ${message}`);
    const history = capture();
    await logsCommand(["cli-app", "--phase", "build"], history.ctx);
    expect(history.out()).toBe("STEP 1/3: FROM node\nSTEP 2/3: RUN npm ci\n");
  });

  it("exits 1 with the reason when the deployment fails", async () => {
    const c = capture();
    const running = deployCommand(["cli-app", "--wait"], c.ctx);
    const id = await eventually(
      "the second deployment",
      async () => {
        const latest = (
          await api.inject({ url: "/api/apps/cli-app", headers: { authorization: `Bearer ${token}` } })
        ).json().latestDeployment;
        return latest?.number === 2 ? latest.id : undefined;
      },
      5_000,
      25,
    );
    await transitionDeployment(database.db, id, "build:failed", "failed", {
      reason: "npm ci exited with 1: ERESOLVE",
    });
    expect(await running).toBe(1);
    expect(c.err()).toContain("v2 failed: npm ci exited with 1: ERESOLVE");
  });
});
