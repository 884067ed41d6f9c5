import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  eventually,
  type FakeGitHub,
  failUnderCi,
  samplePath,
  signInOverHttp,
  startFakeGitHub,
} from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitHubAppEnv, platformEnv, tearDownPlatform } from "./platform-api.ts";
import { freePort, type PlatformProcess, startPlatform, viaRouter } from "./platform-process.ts";

// GitHub end to end through `kli8nt start`: OAuth sign-in (state + PKCE) on the fake GitHub, a private repo
// from the picker, a push → signed webhook → build with the owner's token → live, and the Deployment
// statuses GitHub received, in order. Real git, buildah, podman and router; nothing mocked.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(
  !ready,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);

const APP = `push${Date.now().toString(36)}`;
const CLIENT_ID = "Ov23liE2ePush";
const CLIENT_SECRET = "e2e-client-secret-0123456789";
const WEBHOOK_SECRET = "e2e-webhook-secret-0123456789";
let gh: FakeGitHub;
let platform: PlatformProcess;
let dataDir: string;
let url: string;

describe.skipIf(!ready)("push to deploy from a private GitHub repository", { timeout: 600_000 }, () => {
  beforeAll(async () => {
    gh = await startFakeGitHub();
    gh.addUser({ login: "octo" });
    dataDir = mkdtempSync(join(tmpdir(), "kli8nt-e2e-push-"));
    const [apiPort, routerPort] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${apiPort}`;
    const app = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, webhookSecret: WEBHOOK_SECRET };
    platform = await startPlatform(
      { ...platformEnv(dataDir, routerPort, env), ...gitHubAppEnv(gh, url, app) },
      { api: apiPort, router: routerPort },
    );
  }, 120_000);

  afterAll(() => tearDownPlatform({ platform, app: ready ? APP : undefined, github: gh, dataDir }));

  it("signs in with GitHub, deploys a private repo on push, and reports queued → in_progress → success", async () => {
    const repo = await gh.addRepo({
      owner: "octo",
      name: APP,
      private: true,
      fromDir: samplePath("node-hello"),
    });
    const { session } = await signInOverHttp(url, gh, "octo");
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}/api${path}`, {
        method,
        headers: {
          cookie: `kli8nt_session=${session}`,
          origin: url, // What a browser on the dashboard sends; a cookie write from elsewhere is refused.
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };

    const picker = await call("GET", `/github/repos?query=${APP}`);
    expect(picker.json.items).toEqual([expect.objectContaining({ fullName: `octo/${APP}`, private: true })]);
    const created = await call("POST", "/apps", {
      name: APP,
      repository: { url: repo.cloneUrl, branch: "main" },
    });
    expect(created.status).toBe(201);
    await eventually("the push webhook on GitHub", async () =>
      gh.hooks(`octo/${APP}`).length === 1 ? true : undefined,
    );

    const source = readFileSync(join(samplePath("node-hello"), "server.js"), "utf8");
    const pushed = await gh.push(`octo/${APP}`, {
      files: { "server.js": source.replace("hello from", "hello pushed from") },
    });
    expect(pushed.deliveries.map((d) => d.status)).toEqual([202]);

    const live = await eventually(
      "the pushed commit live",
      async () => {
        const latest = (await call("GET", `/apps/${APP}`)).json.latestDeployment as Record<
          string,
          unknown
        > | null;
        if (latest?.state === "failed") throw new Error(`deploy failed: ${String(latest.reason)}`);
        return latest?.state === "live" ? latest : undefined;
      },
      240_000,
    );
    expect(live).toMatchObject({ trigger: "push", commitSha: pushed.after });
    expect((await viaRouter(platform.routerPort, APP)).body).toBe("hello pushed from node-hello v1\n");
    // The clone used the owner's OAuth token (gho_…): nothing of it may be in the image, files or metadata.
    const image = String(live.image);
    const scan = `c=$(podman create ${image} true) && podman export "$c" | grep -a -c gho_ ; podman rm "$c" >/dev/null`;
    expect(execFileSync("sh", ["-c", scan], { encoding: "utf8" }).trim()).toBe("0");
    expect(execFileSync("podman", ["image", "inspect", image], { encoding: "utf8" })).not.toContain("gho_");

    const statuses = await eventually("GitHub's deployment statuses", async () => {
      const [deployment] = gh.deployments(`octo/${APP}`);
      const states = deployment?.statuses.map((s) => s.state) ?? [];
      return states.includes("success") ? deployment : undefined;
    });
    expect(statuses.environment).toBe(APP);
    expect(statuses.sha).toBe(pushed.after);
    expect(statuses.statuses.map((s) => s.state)).toEqual(["queued", "in_progress", "success"]);
    expect(statuses.statuses.at(-1)?.environmentUrl).toBe(live.url);
  });
});
