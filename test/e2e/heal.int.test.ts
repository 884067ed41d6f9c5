import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { eventually, type FakeGitHub, failUnderCi, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  appContainers,
  type Deployment,
  platformApi,
  platformEnv,
  tearDownPlatform,
  webContainer,
} from "./platform-api.ts";
import { freePort, type PlatformProcess, startPlatform, viaRouter } from "./platform-process.ts";

// Local mode heals (issue 20): a live app whose container is killed answers again through the router
// within 30 s and `kli8nt status` shows the restart; deleting the app removes its container, route,
// images and logs within 10 s. Real `kli8nt start`, buildah, podman and router; nothing mocked.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(
  !ready,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);

const APP = `heal${Date.now().toString(36)}`;
const PREFIX = `localhost/kli8nt-heal-${Date.now().toString(36)}`;
let github: FakeGitHub;
let platform: PlatformProcess;
let dataDir: string;
const api = platformApi(() => platform.api);

type Live = Deployment & { restarts: number; conditions: { type: string; status: string; reason: string }[] };

const run = promisify(execFile);

/** Both podman looks at once: each takes seconds on a store full of the real-build images. */
async function podmanLeft(): Promise<{ containers: string[]; images: string[] }> {
  const [ps, images] = await Promise.all([
    run("podman", ["ps", "-a", "--filter", `label=kli8nt.app=${APP}`, "--format", "{{.Names}}"]),
    run("podman", [
      "images",
      "--filter",
      `reference=${PREFIX}/${APP}`,
      "--format",
      "{{.Repository}}:{{.Tag}}",
    ]),
  ]);
  return {
    containers: ps.stdout.split("\n").filter(Boolean),
    images: images.stdout.split("\n").filter((t) => t.startsWith(`${PREFIX}/${APP}:`)),
  };
}

/** The app's image tags (matched exactly: podman's reference filter also lists other tags of one id). */
function appImages(): string[] {
  return execFileSync(
    "podman",
    ["images", "--filter", `reference=${PREFIX}/${APP}`, "--format", "{{.Repository}}:{{.Tag}}"],
    { encoding: "utf8" },
  )
    .split("\n")
    .filter((t) => t.startsWith(`${PREFIX}/${APP}:`));
}

function kli8ntStatus(): string {
  return execFileSync(process.execPath, ["apps/cli/bin/kli8nt.js", "status", APP], {
    encoding: "utf8",
    env: { ...process.env, KLI8NT_URL: platform.api, KLI8NT_TOKEN: ADMIN_TOKEN },
  });
}

describe.skipIf(!ready)("local mode heals and cleans up", { timeout: 600_000 }, () => {
  beforeAll(async () => {
    github = await startFakeGitHub();
    github.addUser({ login: "alice" });
    dataDir = mkdtempSync(join(tmpdir(), "kli8nt-e2e-heal-"));
    const ports = { api: await freePort(), router: await freePort() };
    platform = await startPlatform(
      { ...platformEnv(dataDir, ports.router, env), KLI8NT_RESYNC_SECONDS: "1", KLI8NT_IMAGE_PREFIX: PREFIX },
      ports,
    );
  }, 120_000);

  afterAll(() => tearDownPlatform({ platform, app: ready ? APP : undefined, github, dataDir }));

  it("restarts a killed container, counts the restart, and removes everything when the app is deleted", async () => {
    const repo = await github.addRepo({ owner: "alice", name: APP, fromDir: samplePath("node-hello") });
    await api.call("POST", "/apps", { name: APP, repository: { url: repo.cloneUrl, branch: "main" } });
    const { json } = await api.call<Deployment>("POST", `/apps/${APP}/deployments`, {});
    const live = await api.waitFor(json.id);
    expect(live, live.reason ?? "").toMatchObject({ state: "live" });
    expect((await viaRouter(platform.routerPort, APP)).status).toBe(200);
    expect(appImages().length).toBeGreaterThan(0);

    const killedAt = Date.now();
    execFileSync("podman", ["kill", appContainers(APP)[0] ?? "none"]);
    const back = await eventually(
      "the app to answer through the router again",
      async () => {
        const r = await viaRouter(platform.routerPort, APP);
        return r.status === 200 ? r : undefined;
      },
      30_000,
      200,
    );
    expect(back.body).toContain("hello");
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    // Recorded by the same reconcile that moved the route, a moment after the first answer.
    const healed = await eventually(
      "the restart recorded",
      async () => {
        const d = (await api.call<Live>("GET", `/deployments/${live.id}`)).json;
        return d.restarts >= 1 ? d : undefined;
      },
      5000,
      100,
    );
    expect(healed.state).toBe("live");
    expect(healed.restarts).toBeGreaterThanOrEqual(1);
    expect(healed.conditions).toContainEqual(
      expect.objectContaining({ type: "available", status: "true", reason: "Restarted" }),
    );
    const status = kli8ntStatus();
    expect(status).toMatch(/v1\s+live/);
    expect(status).toMatch(/[1-9]\d* restarts?/);
    expect(appContainers(APP)).toEqual([webContainer(live.id)]);

    // The platform's only app: its build and run logs are the only log directory.
    const logDirs = () => readdirSync(join(dataDir, "logs"));
    expect(logDirs()).toHaveLength(1);
    const deletedAt = Date.now();
    const deleted = await fetch(`${platform.api}/api/apps/${APP}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(deleted.status).toBe(204);
    await eventually(
      "the app's container, route, images and logs to be gone",
      async () => {
        const [podman, route] = await Promise.all([podmanLeft(), viaRouter(platform.routerPort, APP)]);
        const left = { ...podman, route: route.status, logs: logDirs() };
        const empty = left.containers.length + left.images.length + left.logs.length === 0;
        if (empty && left.route === 404) return true;
        throw new Error(`still there: ${JSON.stringify(left)}`);
      },
      10_000,
      200,
    );
    expect(Date.now() - deletedAt).toBeLessThan(10_000);
  });
});
