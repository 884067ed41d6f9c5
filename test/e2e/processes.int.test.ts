import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, type FakeGitHub, failUnderCi, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appContainers,
  type Deployment,
  platformApi,
  platformEnv,
  tearDownPlatform,
} from "./platform-api.ts";
import { freePort, type PlatformProcess, startPlatform, viaRouter } from "./platform-process.ts";

// A real app's processes (issue 21), through `kli8nt start` with buildah, podman and the router: the Procfile's
// release command runs once per deployment before web takes traffic (a failing one keeps the old release),
// the worker runs beside web with its output in the logs, web scales to two containers that both answer,
// a restart under load fails no request, stop shows the stopped page and start brings the formation back.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(
  !ready,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);

const APP = `procs${Date.now().toString(36)}`;
let github: FakeGitHub;
let platform: PlatformProcess;
let dataDir: string;
const api = platformApi(() => platform.api);

/** The app's "database": what its release command and web processes told it, in order. */
const events: Array<{ event: string; host: string; at: number }> = [];
let recorder: Server;

type LogPage = { records: Array<{ phase: string; source: string; line: string }> };
const logs = async (phase: string) =>
  (await api.call<LogPage>("GET", `/apps/${APP}/logs?phase=${phase}&limit=1000`)).json.records;

async function deploy(): Promise<Deployment> {
  const { json } = await api.call<Deployment>("POST", `/apps/${APP}/deployments`, {});
  return api.waitFor(json.id);
}

const setEnv = (vars: Record<string, string>) =>
  api.call("PUT", `/apps/${APP}/env`, {
    vars: Object.entries(vars).map(([key, value]) => ({ key, value, secret: false })),
  });

describe.skipIf(!ready)("release phase, process types, scaling and lifecycle", { timeout: 900_000 }, () => {
  beforeAll(async () => {
    // Containers reach the host as host.containers.internal, so the recorder listens beyond loopback.
    recorder = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://recorder");
      events.push({ event: url.pathname.slice(1), host: url.searchParams.get("host") ?? "", at: Date.now() });
      res.end("ok");
    });
    await new Promise<void>((r) => recorder.listen(0, "0.0.0.0", r));
    github = await startFakeGitHub();
    github.addUser({ login: "alice" });
    dataDir = mkdtempSync(join(tmpdir(), "kli8nt-e2e-procs-"));
    const ports = { api: await freePort(), router: await freePort() };
    platform = await startPlatform(
      { ...platformEnv(dataDir, ports.router, env), KLI8NT_RESYNC_SECONDS: "1" },
      ports,
    );
  }, 120_000);

  afterAll(async () => {
    await tearDownPlatform({ platform, app: ready ? APP : undefined, github, dataDir });
    recorder?.close();
  });

  it("runs the release command before web, then web and the worker, with the worker's output in the logs", async () => {
    const repo = await github.addRepo({ owner: "alice", name: APP, fromDir: samplePath("node-procfile") });
    await api.call("POST", "/apps", { name: APP, repository: { url: repo.cloneUrl, branch: "main" } });
    const port = (recorder.address() as AddressInfo).port;
    await setEnv({ RECORDER_URL: `http://host.containers.internal:${port}`, SCHEMA_VERSION: "7" });
    const v1 = await deploy();
    expect(v1, v1.reason ?? "").toMatchObject({ state: "live" });
    const migrate = events.findIndex((e) => e.event === "migrate");
    const webStart = events.findIndex((e) => e.event === "web-start");
    expect(migrate).toBeGreaterThanOrEqual(0);
    expect(webStart).toBeGreaterThan(migrate);
    expect(events.filter((e) => e.event === "migrate")).toHaveLength(1);
    expect((await logs("release")).map((r) => r.line)).toEqual(
      expect.arrayContaining(["migrating schema to 7", "migrations applied"]),
    );
    const worker = await eventually(
      "the worker's output in the run logs",
      async () => {
        const lines = (await logs("run")).filter(
          (r) => r.source === "worker.1" && /worker tick \d+/.test(r.line),
        );
        return lines.length > 0 ? lines : undefined;
      },
      20_000,
      250,
    );
    expect(worker[0]?.phase).toBe("run");
    const formation = (
      await api.call<{ processes: Array<{ type: string; count: number }> }>("GET", `/apps/${APP}/formation`)
    ).json;
    expect(formation.processes.map((p) => [p.type, p.count])).toEqual([
      ["web", 1],
      ["worker", 1],
    ]);
    expect(appContainers(APP)).toHaveLength(2);
  });

  it("scales web to two containers that both answer, without a rebuild", async () => {
    const before = (await api.call<{ items: Deployment[] }>("GET", `/apps/${APP}/deployments`)).json.items
      .length;
    const patched = await api.call("PATCH", `/apps/${APP}/formation`, {
      processes: [{ type: "web", count: 2 }],
    });
    expect(patched.status).toBe(200);
    await eventually(
      "three containers",
      async () => (appContainers(APP).length === 3 ? true : undefined),
      60_000,
      500,
    );
    const hosts = new Set<string>();
    await eventually(
      "answers from both web containers",
      async () => {
        const r = await viaRouter(platform.routerPort, APP);
        if (r.status === 200) hosts.add(r.body.trim());
        return hosts.size === 2 ? true : undefined;
      },
      30_000,
      50,
    );
    const after = (await api.call<{ items: Deployment[] }>("GET", `/apps/${APP}/deployments`)).json.items
      .length;
    expect(after).toBe(before);
  });

  it("restarts web under load without a failed request", async () => {
    const starts = events.filter((e) => e.event === "web-start").length;
    let failed = 0;
    let answered = 0;
    let loading = true;
    const load = (async () => {
      while (loading) {
        const r = await viaRouter(platform.routerPort, APP).catch(() => ({ status: 0, body: "" }));
        if (r.status === 200) answered++;
        else failed++;
      }
    })();
    expect((await api.call("POST", `/apps/${APP}/restart`)).status).toBe(202);
    // Both web containers replaced: two new starts recorded.
    await eventually(
      "both web instances restarted",
      async () => (events.filter((e) => e.event === "web-start").length >= starts + 2 ? true : undefined),
      90_000,
      250,
    );
    await eventually(
      "the old containers gone",
      async () => (appContainers(APP).length === 3 ? true : undefined),
      60_000,
      500,
    );
    loading = false;
    await load;
    expect(answered).toBeGreaterThan(20);
    expect(failed).toBe(0);
  });

  it("a failing release command fails the deployment with its output; the previous release keeps serving", async () => {
    await setEnv({
      RECORDER_URL: `http://host.containers.internal:${(recorder.address() as AddressInfo).port}`,
      FAIL_RELEASE: "1",
    });
    const failed = await deploy();
    expect(failed.state).toBe("failed");
    expect(failed.reason).toMatch(/release command exited with code 1.*relation "orders" already exists/);
    expect((await viaRouter(platform.routerPort, APP)).status).toBe(200);
  });

  it("stop shows the stopped page and start brings the formation back", async () => {
    expect((await api.call("POST", `/apps/${APP}/stop`)).status).toBe(202);
    await eventually(
      "no containers",
      async () => (appContainers(APP).length === 0 ? true : undefined),
      60_000,
      500,
    );
    const stopped = await viaRouter(platform.routerPort, APP);
    expect(stopped.status).toBe(503);
    expect(stopped.body).toContain("stopped");
    expect((await api.call("POST", `/apps/${APP}/start`)).status).toBe(202);
    await eventually(
      "three containers again",
      async () => (appContainers(APP).length === 3 ? true : undefined),
      90_000,
      500,
    );
    await eventually(
      "answering again",
      async () => ((await viaRouter(platform.routerPort, APP)).status === 200 ? true : undefined),
      30_000,
      250,
    );
  });
});
