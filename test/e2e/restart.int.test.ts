import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeGitHub, failUnderCi, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Deployment,
  platformApi,
  platformEnv,
  tearDownPlatform,
  untilContainers,
  webContainer,
} from "./platform-api.ts";
import { freePort, type PlatformProcess, startPlatform, viaRouter } from "./platform-process.ts";

// kill -9 of `kli8nt start` mid-build and mid-deploy, then a restart on the same data dir: every deployment
// ends live (or failed with a reason), never stuck, and no release ever has two containers.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(
  !ready,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);

const APP = `kill${Date.now().toString(36)}`;
let github: FakeGitHub;
let platform: PlatformProcess;
let dataDir: string;
let ports: { api: number; router: number };
const api = platformApi(() => platform.api);
let output = "";

async function restart(): Promise<void> {
  await platform.stop("SIGKILL");
  output += platform.output();
  platform = await startPlatform(platformEnv(dataDir, ports.router, env), ports);
}

async function pushAndDeploy(version: string): Promise<string> {
  const source = readFileSync(join(samplePath("node-hello"), "server.js"), "utf8");
  await github.push(`alice/${APP}`, {
    files: { "server.js": source.replace("hello from", `hello ${version} from`) },
  });
  const { json } = await api.call<Deployment>("POST", `/apps/${APP}/deployments`, {});
  return json.id;
}

describe.skipIf(!ready)("kill -9 of the platform mid-build and mid-deploy", { timeout: 600_000 }, () => {
  beforeAll(async () => {
    github = await startFakeGitHub();
    github.addUser({ login: "alice" });
    dataDir = mkdtempSync(join(tmpdir(), "kli8nt-e2e-kill-"));
    ports = { api: await freePort(), router: await freePort() };
    platform = await startPlatform(platformEnv(dataDir, ports.router, env), ports);
  }, 120_000);

  afterAll(() =>
    tearDownPlatform({ platform, app: ready ? APP : undefined, github, dataDir, earlierOutput: output }),
  );

  it("resumes and converges: live, one container per app, the newest release serving", async () => {
    const repo = await github.addRepo({ owner: "alice", name: APP, fromDir: samplePath("node-hello") });
    await api.call("POST", "/apps", { name: APP, repository: { url: repo.cloneUrl, branch: "main" } });
    const first = await api.call<Deployment>("POST", `/apps/${APP}/deployments`, {});
    expect((await api.waitFor(first.json.id)).state).toBe("live");

    const midBuild = await pushAndDeploy("v2");
    await api.waitFor(midBuild, (s) => s !== "queued"); // usually mid-build; later is fine too
    await restart();
    const v2 = await api.waitFor(midBuild);
    expect(v2, v2.reason ?? "").toMatchObject({ state: "live" });
    expect(await untilContainers(APP, 1)).toEqual([webContainer(midBuild)]);
    expect((await viaRouter(platform.routerPort, APP)).body).toBe("hello v2 from node-hello v1\n");

    const midDeploy = await pushAndDeploy("v3");
    await api.waitFor(midDeploy, (s) => s === "deploying" || s === "live");
    await restart();
    const v3 = await api.waitFor(midDeploy);
    expect(v3, v3.reason ?? "").toMatchObject({ state: "live" });
    expect(await untilContainers(APP, 1)).toEqual([webContainer(midDeploy)]);
    expect((await viaRouter(platform.routerPort, APP)).body).toBe("hello v3 from node-hello v1\n");
    const states = (
      await api.call<{ items: Deployment[] }>("GET", `/apps/${APP}/deployments`)
    ).json.items.map((d) => d.state);
    expect(states).toEqual(["live", "superseded", "superseded"]);
  });
});
