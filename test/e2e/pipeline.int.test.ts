import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeGitHub, failUnderCi, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appContainers,
  type Deployment,
  platformApi,
  platformEnv,
  tearDownPlatform,
  untilContainers,
} from "./platform-api.ts";
import { freePort, type PlatformProcess, startPlatform, viaRouter } from "./platform-process.ts";

// The whole single-machine flow through `kli8nt start`: fake GitHub (git smart HTTP) → api → BUILD →
// buildah → DEPLOY → podman → router on *.localhost → INFORM → api. Real tools, nothing mocked.
// KLI8NT_E2E_OUTPUT=<file> keeps the platform's log (at info level) for debugging.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(
  !ready,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);

const APP = `e2e${Date.now().toString(36)}`;
let github: FakeGitHub;
let platform: PlatformProcess;
let dataDir: string;
const api = platformApi(() => platform.api);

async function deploy(): Promise<Deployment> {
  const { status, json } = await api.call<Deployment>("POST", `/apps/${APP}/deployments`, {});
  expect(status).toBe(202);
  return api.waitFor(json.id);
}

/** Sequential requests through the router until `until` resolves; returns the answers that were not 2xx. */
async function loadLoop(until: Promise<unknown>): Promise<{ sent: number; bad: string[] }> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const bad: string[] = [];
  let sent = 0;
  while (!done) {
    sent++;
    const r = await viaRouter(platform.routerPort, APP).catch((e: Error) => ({ status: 0, body: e.message }));
    if (r.status < 200 || r.status > 299) bad.push(`${r.status} ${r.body.slice(0, 80)}`);
  }
  return { sent, bad };
}

describe.skipIf(!ready)(
  "single-machine pipeline (kli8nt start, buildah, podman, router)",
  { timeout: 600_000 },
  () => {
    beforeAll(async () => {
      github = await startFakeGitHub();
      github.addUser({ login: "alice" });
      dataDir = mkdtempSync(join(tmpdir(), "kli8nt-e2e-"));
      const [apiPort, routerPort] = [await freePort(), await freePort()];
      platform = await startPlatform(platformEnv(dataDir, routerPort, env), {
        api: apiPort,
        router: routerPort,
      });
    }, 120_000);

    afterAll(() => tearDownPlatform({ platform, app: ready ? APP : undefined, github, dataDir }));

    it("deploys, switches without errors, keeps the old release on a failed health check, rolls back without a build", async () => {
      const repo = await github.addRepo({ owner: "alice", name: APP, fromDir: samplePath("node-hello") });
      const created = await api.call("POST", "/apps", {
        name: APP,
        repository: { url: repo.cloneUrl, branch: "main" },
      });
      expect(created.status).toBe(201);
      await api.call("PUT", `/apps/${APP}/env`, {
        vars: [{ key: "APP_VERSION", value: "blue-secret", secret: true }],
      });

      let t = Date.now();
      const v1 = await deploy();
      const figures: string[] = [`first deploy ${Date.now() - t} ms`];
      expect(v1, v1.reason ?? "").toMatchObject({ state: "live" });
      expect(await viaRouter(platform.routerPort, APP)).toEqual({
        status: 200,
        body: "hello from node-hello blue-secret\n",
      });
      expect(appContainers(APP)).toHaveLength(1);

      const source = readFileSync(join(samplePath("node-hello"), "server.js"), "utf8");
      await github.push(`alice/${APP}`, {
        files: { "server.js": source.replace("hello from", "hello v2 from") },
      });
      const started = await api.call<Deployment>("POST", `/apps/${APP}/deployments`, {});
      // Until the old release is stopped, so the load loop covers the switch and the drain.
      const finished = api.waitFor(started.json.id).then(async (d) => {
        await untilContainers(APP, 1);
        return d;
      });
      t = Date.now();
      const load = await loadLoop(finished);
      figures.push(`redeploy ${Date.now() - t} ms with ${load.sent} requests through the router`);
      const v2 = await finished;
      expect(v2.state).toBe("live");
      expect(load.bad).toEqual([]);
      expect(load.sent).toBeGreaterThan(20);
      expect((await viaRouter(platform.routerPort, APP)).body).toBe("hello v2 from node-hello blue-secret\n");
      expect((await api.call<Deployment>("GET", `/deployments/${v1.id}`)).json.state).toBe("superseded");
      expect(appContainers(APP)).toHaveLength(1);

      const crash = 'console.error("cannot start: no DATABASE_URL"); process.exit(1);\n';
      await github.push(`alice/${APP}`, { files: { "server.js": crash } });
      t = Date.now();
      const v3 = await deploy();
      figures.push(`failing release ${Date.now() - t} ms`);
      expect(v3.state).toBe("failed");
      expect(v3.reason).toMatch(/Health check failed: The app exited with code 1.*no DATABASE_URL/);
      expect((await viaRouter(platform.routerPort, APP)).body).toBe("hello v2 from node-hello blue-secret\n");

      const rollback = await api.call<Deployment>("POST", `/apps/${APP}/rollback`, { deploymentId: v1.id });
      expect(rollback.status).toBe(202);
      t = Date.now();
      const v4 = await api.waitFor(rollback.json.id, undefined, 60_000);
      figures.push(`rollback ${Date.now() - t} ms`);
      console.log(`pipeline e2e: ${figures.join(", ")}`);
      expect(v4).toMatchObject({ state: "live", trigger: "rollback", image: v1.image });
      expect((await viaRouter(platform.routerPort, APP)).body).toBe("hello from node-hello blue-secret\n");
      expect((await api.call<Deployment>("GET", `/deployments/${v2.id}`)).json.state).toBe("superseded");
    });
  },
);
