import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeGitHub, failUnderCi, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Deployment, platformApi, platformEnv, tearDownPlatform } from "./platform-api.ts";
import { freePort, type PlatformProcess, startPlatform, viaRouter } from "./platform-process.ts";

// Issue 19, as reported: `PUT env PATH=/nonexistent` then deploy made the host's podman unfindable (spawn
// podman ENOENT, retried, stuck in `deploying`). App env now reaches the container only (ADR 0135): the
// app's PATH is the app's, loader and container-tool names are refused, and a multi-line value arrives whole.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(!ready, "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers");

const APP = `hostile${Date.now().toString(36)}`;
const PEM = "-----BEGIN KEY-----\nline two\nHOME\n-----END KEY-----";
const SERVER = `import { createServer } from "node:http";
createServer((req, res) => res.end(JSON.stringify({ path: process.env.PATH, pem: process.env.PEM })))
  .listen(Number(process.env.PORT ?? 3000), "0.0.0.0");
process.on("SIGTERM", () => process.exit(0));
`;
let github: FakeGitHub;
let platform: PlatformProcess;
let dataDir: string;
const api = platformApi(() => platform.api);

describe.skipIf(!ready)("hostile app env (kli8nt start, buildah, podman)", { timeout: 600_000 }, () => {
  beforeAll(async () => {
    github = await startFakeGitHub();
    github.addUser({ login: "alice" });
    dataDir = mkdtempSync(join(tmpdir(), "kli8nt-e2e-env-"));
    const [apiPort, routerPort] = [await freePort(), await freePort()];
    platform = await startPlatform(platformEnv(dataDir, routerPort, env), {
      api: apiPort,
      router: routerPort,
    });
  }, 120_000);

  afterAll(() => tearDownPlatform({ platform, app: ready ? APP : undefined, github, dataDir }));

  it("refuses loader and container-tool names, and deploys an app whose PATH is its own", async () => {
    const repo = await github.addRepo({ owner: "alice", name: APP, fromDir: samplePath("node-hello") });
    await github.push(`alice/${APP}`, { files: { "server.js": SERVER } });
    const created = await api.call("POST", "/apps", {
      name: APP,
      repository: { url: repo.cloneUrl, branch: "main" },
    });
    expect(created.status).toBe(201);

    for (const key of ["LD_PRELOAD", "CONTAINERS_CONF", "CONTAINER_HOST"]) {
      const refused = await api.call<{ detail: string }>("PUT", `/apps/${APP}/env`, {
        vars: [{ key, value: "/tmp/evil" }],
      });
      expect(refused.status).toBe(400);
      expect(refused.json.detail).toContain(key);
    }

    const path = "/nonexistent:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    const put = await api.call("PUT", `/apps/${APP}/env`, {
      vars: [
        { key: "PATH", value: path },
        { key: "PEM", value: PEM, secret: true },
      ],
    });
    expect(put.status).toBe(200);
    const { json: started } = await api.call<Deployment>("POST", `/apps/${APP}/deployments`, {});
    const done = await api.waitFor(started.id);
    expect(done, done.reason ?? "").toMatchObject({ state: "live" });
    const seen = await viaRouter(platform.routerPort, APP);
    const body = JSON.parse(seen.body) as { path: string; pem: string };
    // `npm start` puts its own folders first; the rest is the app's PATH, as set.
    expect(body.path.endsWith(`:${path}`)).toBe(true);
    expect(body.pem).toBe(PEM);
  });

  it("fails (not hangs) a deploy whose PATH hides the app's own executable, with the container's reason", async () => {
    await api.call("PUT", `/apps/${APP}/env`, { vars: [{ key: "PATH", value: "/nonexistent" }] });
    const { json: started } = await api.call<Deployment>("POST", `/apps/${APP}/deployments`, {});
    const done = await api.waitFor(started.id);
    expect(done.state).toBe("failed");
    expect(done.reason ?? "").not.toMatch(/spawn podman/);
    // The previous release keeps serving.
    expect((await viaRouter(platform.routerPort, APP)).status).toBe(200);
  });
});
