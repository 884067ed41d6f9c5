import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, type FakeGitHub, failUnderCi, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Deployment, platformApi, platformEnv, tearDownPlatform } from "./platform-api.ts";
import { freePort, type PlatformProcess, startPlatform, viaRouter } from "./platform-process.ts";

// Managed PostgreSQL end to end (issue 25, ADR 0225): `kli8nt start` on podman (KLI8NT_ADDONS unset) runs its
// PostgreSQL container (the local stand-in for the official image, scripts/infra/pgimage.sh); an app that
// reads DATABASE_URL, built and deployed through the real pipeline before the add-on existed, gets it on a
// restart, writes a row that survives a redeploy and a restart of the platform, and its logs never show the URL.
const env = process.env;
const IMAGE = env.KLI8NT_TEST_POSTGRES_IMAGE;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined && !!IMAGE;
failUnderCi(
  !ready,
  "containers or KLI8NT_TEST_POSTGRES_IMAGE missing: run start_containers and start_pgimage",
);

const APP = `pg${Date.now().toString(36)}`;
const SERVER = `kli8nt-pg-e2e-${APP}`;
let github: FakeGitHub;
let platform: PlatformProcess;
let dataDir: string;
let ports: { api: number; router: number };
let platformVars: Record<string, string>;
let output = "";
const api = platformApi(() => platform.api);

function postViaRouter(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: ports.router,
        path,
        method: "POST",
        headers: { host: `${APP}.localhost:${ports.router}` },
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.once("error", reject);
    req.end();
  });
}

async function deploy(): Promise<Deployment> {
  const { json } = await api.call<Deployment>("POST", `/apps/${APP}/deployments`, {});
  return api.waitFor(json.id);
}

describe.skipIf(!ready)("a managed PostgreSQL add-on under a real app", { timeout: 600_000 }, () => {
  beforeAll(async () => {
    github = await startFakeGitHub();
    github.addUser({ login: "alice" });
    dataDir = mkdtempSync(join(tmpdir(), "kli8nt-e2e-addons-"));
    ports = { api: await freePort(), router: await freePort() };
    platformVars = {
      ...platformEnv(dataDir, ports.router, env),
      // KLI8NT_ADDONS unset: on podman, kli8nt start runs the add-ons' server itself.
      KLI8NT_ADDONS_POSTGRES_IMAGE: IMAGE ?? "",
      KLI8NT_ADDONS_POSTGRES_PORT: String(await freePort()),
      KLI8NT_ADDONS_POSTGRES_CONTAINER: SERVER,
    };
    platform = await startPlatform(platformVars, ports);
  }, 120_000);

  afterAll(async () => {
    await tearDownPlatform({
      platform,
      app: ready ? APP : undefined,
      github,
      dataDir,
      earlierOutput: output,
    });
    spawnSync("podman", ["rm", "-f", "-t", "0", SERVER]);
    spawnSync("podman", ["volume", "rm", "-f", `${SERVER}-data`]);
  });

  it("a restart picks the add-on up; the row survives a redeploy and a platform restart", async () => {
    const repo = await github.addRepo({ owner: "alice", name: APP, fromDir: samplePath("node-postgres") });
    await api.call("POST", "/apps", { name: APP, repository: { url: repo.cloneUrl, branch: "main" } });
    const first = await deploy();
    expect(first, first.reason ?? "").toMatchObject({ state: "live" });
    expect(await viaRouter(ports.router, APP)).toMatchObject({ status: 200, body: "no DATABASE_URL\n" });

    const created = await api.call<{ id: string; status: string }>("POST", `/apps/${APP}/addons`, {
      type: "postgres",
    });
    expect(created.status).toBe(201);
    await eventually(
      "the add-on ready",
      async () => {
        const { json } = await api.call<{ items: Array<{ status: string; detail: string | null }> }>(
          "GET",
          `/apps/${APP}/addons`,
        );
        expect(json.items[0]?.status, json.items[0]?.detail ?? "").toBe("ready");
        return true;
      },
      120_000,
    );
    expect((await api.call("POST", `/apps/${APP}/restart`)).status).toBe(202);
    await eventually("the restarted app reading DATABASE_URL", async () => {
      const res = await viaRouter(ports.router, APP);
      return res.status === 200 && res.body !== "no DATABASE_URL\n" ? true : undefined;
    });
    expect((await postViaRouter("/?note=first")).body).toBe("first\n");

    const source = readFileSync(join(samplePath("node-postgres"), "server.js"), "utf8");
    await github.push(`alice/${APP}`, { files: { "server.js": `${source}\n// v2\n` } });
    const second = await deploy();
    expect(second, second.reason ?? "").toMatchObject({ state: "live" });
    expect((await viaRouter(ports.router, APP)).body).toBe("first\n");

    await platform.stop();
    output += platform.output();
    platform = await startPlatform(platformVars, ports);
    await eventually("the app answering after the restart", async () => {
      const res = await viaRouter(ports.router, APP);
      return res.status === 200 ? res.body : undefined;
    }).then((body) => expect(body).toBe("first\n"));
  });

  it("masks the injected DATABASE_URL in the app's logs", async () => {
    const text = await eventually("the app's start line in its logs", async () => {
      const res = await fetch(`${platform.api}/api/apps/${APP}/logs?phase=run`, {
        headers: { authorization: `Bearer ${platformVars.KLI8NT_ADMIN_TOKEN}` },
      });
      const body = await res.text();
      // The release started after the restart, with the add-on's URL (the first one had none).
      return /starting with DATABASE_URL=(?!\(unset\))/.test(body) ? body : undefined;
    });
    expect(text).not.toMatch(/postgres:\/\/app_/);
  });

  it("the server is one podman container with its volume", () => {
    const out = execFileSync("podman", ["container", "inspect", "--format", "{{.State.Status}}", SERVER]);
    expect(out.toString().trim()).toBe("running");
  });
});
