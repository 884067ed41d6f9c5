import { mkdtempSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuildRequested, DeploymentProgress, DeployRequested } from "@kli8nt/core";
import {
  createApp,
  createDeployment,
  type Database,
  ensureAdminUser,
  getApp,
  type OutboxMessage,
  openTestDatabase,
  relayOutboxBatch,
} from "@kli8nt/db";
import { startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryLogSink } from "./build-log-sink.ts";
import { loadDeployment } from "./deployment-rows.ts";
import { localTestHandler } from "./testing/local-handler.ts";
import { createLocalRepo, nodeAppFiles } from "./testing/local-repo.ts";
import type { CloneCredentials } from "./workspace.ts";

// Real git, real PGlite, the real process builder (no container tools needed): the handler's state moves,
// outbox messages, idempotence and workspace removal.
let database: Database;
const published: OutboxMessage[] = [];
const work = mkdtempSync(join(tmpdir(), "kli8nt-bc-test-"));

beforeAll(async () => {
  database = await openTestDatabase("pglite");
});
afterAll(async () => database.close());

async function drain(): Promise<OutboxMessage[]> {
  const before = published.length;
  await relayOutboxBatch(database.db, async (m) => void published.push(m));
  return published.slice(before);
}

async function queueBuild(
  name: string,
  url: string,
  ref = "main",
  buildSettings?: { releaseCommand: string },
): Promise<BuildRequested> {
  const admin = await ensureAdminUser(database.db);
  const app = await createApp(database.db, admin.id, {
    name,
    repository: { url, branch: ref, rootDir: "." },
    port: null,
    ...(buildSettings ? { buildSettings } : {}),
  });
  await createDeployment(database.db, app, { trigger: "api" });
  const message = (await drain()).find((m) => m.queue === "BUILD");
  return message?.payload as BuildRequested;
}

function handler(sink = memoryLogSink(), credentials?: CloneCredentials) {
  return localTestHandler(database.db, work, { sink, credentials });
}

describe("build handler (process builder)", () => {
  it("builds the commit, records built with the image and commit, publishes INFORM and DEPLOY once", async () => {
    const repo = createLocalRepo(nodeAppFiles("v1"));
    const message = await queueBuild("built-app", repo.dir);
    const sink = memoryLogSink();
    const handle = handler(sink);
    await handle(message);
    const row = await loadDeployment(database.db, message.deploymentId);
    expect(row).toMatchObject({ state: "built", commitSha: repo.head });
    expect(row?.image).toMatch(/^process:.*releases\/dep_/);
    const out = await drain();
    const informs = out
      .filter((m) => m.queue === "INFORM")
      .map((m) => (m.payload as DeploymentProgress).state);
    expect(informs).toEqual(["building", "built"]);
    const deploy = out.find((m) => m.queue === "DEPLOY")?.payload as DeployRequested;
    expect(deploy).toMatchObject({ deploymentId: message.deploymentId, image: row?.image, port: 3000 });
    expect(sink.lines.some((l) => l.line.includes(`Checked out ${repo.head}`))).toBe(true);
    expect(await readdir(join(work, "builds"))).toEqual([]);

    await handle(message);
    expect(await drain()).toEqual([]);
  });

  it("sends the Procfile's process types, with the app's release command over the Procfile's", async () => {
    const repo = createLocalRepo({
      ...nodeAppFiles("v1"),
      Procfile: "web: node server.js\nworker: node worker.js\nrelease: node migrate.js\n",
      "worker.js": "",
    });
    const message = await queueBuild("procfile-app", repo.dir, "main", { releaseCommand: "node other.js" });
    await handler()(message);
    const deploy = (await drain()).find((m) => m.queue === "DEPLOY")?.payload as DeployRequested;
    expect(Object.keys(deploy.processes ?? {}).sort()).toEqual(["web", "worker"]);
    expect(deploy).toMatchObject({ port: 3000, releaseCommand: "node other.js" });
  });

  it("fails the deployment with the reason when the ref does not exist, and removes the workspace", async () => {
    const repo = createLocalRepo(nodeAppFiles("v1"));
    const message = await queueBuild("bad-ref", repo.dir, "no-such-branch");
    await handler()(message);
    const row = await loadDeployment(database.db, message.deploymentId);
    expect(row?.state).toBe("failed");
    expect(row?.reason).toMatch(/git clone failed: .*no-such-branch/);
    const informs = (await drain()).map((m) => (m.payload as DeploymentProgress).state);
    expect(informs).toEqual(["building", "failed"]);
    expect(await readdir(join(work, "builds"))).toEqual([]);
  });

  it("fails with what was looked for when the stack is undetectable", async () => {
    const repo = createLocalRepo({ "README.md": "nothing to build" });
    const message = await queueBuild("no-stack", repo.dir);
    await handler()(message);
    const row = await loadDeployment(database.db, message.deploymentId);
    expect(row?.state).toBe("failed");
    expect(row?.reason).toMatch(/package\.json/);
  });

  it("clones a private repository with the owner's token, which never reaches a log line", async () => {
    const github = await startFakeGitHub();
    try {
      const { token } = github.addUser({ login: "alice" });
      const repo = await github.addRepo({
        owner: "alice",
        name: "secret-shop",
        private: true,
        files: nodeAppFiles("v1"),
      });
      const asked: Array<{ url: string; appId: string | undefined }> = [];
      const credentials: CloneCredentials = async (url, context) => {
        asked.push({ url, appId: context?.appId });
        return token;
      };
      const message = await queueBuild("private-app", repo.cloneUrl);
      const sink = memoryLogSink();
      await handler(sink, credentials)(message);
      const row = await loadDeployment(database.db, message.deploymentId);
      expect(row, row?.reason ?? "").toMatchObject({ state: "built", commitSha: repo.headSha });
      expect(asked).toEqual([{ url: repo.cloneUrl, appId: message.appId }]);
      expect(JSON.stringify(sink.lines)).not.toContain(token);

      const anonymous = await queueBuild("private-anon", repo.cloneUrl);
      await handler()(anonymous);
      const failed = await loadDeployment(database.db, anonymous.deploymentId);
      expect(failed?.state).toBe("failed");
      expect(failed?.reason).toMatch(/^git clone failed: /);
    } finally {
      await github.stop();
    }
  });

  it("cancels a queued build when a newer deploy of the app was requested, and builds the newer one", async () => {
    const repo = createLocalRepo(nodeAppFiles("v1"));
    const older = await queueBuild("burst-app", repo.dir);
    const admin = await ensureAdminUser(database.db);
    const current = await getApp(database.db, admin.id, "burst-app");
    await createDeployment(database.db, current, { trigger: "push" });
    const newer = (await drain()).find((m) => m.queue === "BUILD")?.payload as BuildRequested;
    const handle = handler();
    await handle(older);
    expect(await loadDeployment(database.db, older.deploymentId)).toMatchObject({
      state: "cancelled",
      reason: "Superseded by v2 before its build started",
    });
    await handle(newer);
    expect((await loadDeployment(database.db, newer.deploymentId))?.state).toBe("built");
  });

  it("refuses a local repository unless allowed, and a URL with credentials", async () => {
    const { cloneSource } = await import("./workspace.ts");
    expect(() => cloneSource("/srv/repo", false)).toThrow(/KLI8NT_ALLOW_LOCAL_REPOS/);
    expect(() => cloneSource("https://user:pw@example.com/r.git", false)).toThrow(/credentials/);
    expect(cloneSource("https://example.com/r.git", false)).toEqual({
      url: "https://example.com/r.git",
      local: false,
    });
  });
});
