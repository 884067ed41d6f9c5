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
import { appContainers, gitHubAppEnv, platformEnv, tearDownPlatform } from "./platform-api.ts";
import { freePort, type PlatformProcess, startPlatform, viaRouter } from "./platform-process.ts";

// Pull request previews end to end through `kli8nt start` (ADR 0200): the production release live, then a
// pull request's head built and run as `<app>-pr-<n>`, answering on its own hostname through the router
// while the app's hostname keeps the production release; closing the pull request removes the preview's
// route and containers. Real git, buildah, podman, router and api; GitHub is the fake one.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(
  !ready,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);

const APP = `prv${Date.now().toString(36)}`;
const PREVIEW = `${APP}-pr-1`;
const SECRETS = {
  clientId: "Ov23liE2ePrev",
  clientSecret: "e2e-prev-secret-0123456789",
  webhookSecret: "e2e-prev-whsec-0123456789",
};
let gh: FakeGitHub;
let platform: PlatformProcess;
let dataDir: string;
let url: string;
let session: string;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/api${path}`, {
    method,
    headers: {
      cookie: `kli8nt_session=${session}`,
      origin: url,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, unknown> };
}

/** Waits for the latest deployment of `app` (or of the preview list) to be live; fails fast on failed. */
async function untilLive(label: string, read: () => Promise<Record<string, unknown> | null | undefined>) {
  return eventually(
    label,
    async () => {
      const d = await read();
      if (d?.state === "failed") throw new Error(`${label} failed: ${String(d.reason)}`);
      return d?.state === "live" ? d : undefined;
    },
    300_000,
  );
}

describe.skipIf(!ready)("pull request previews through the router", { timeout: 900_000 }, () => {
  beforeAll(async () => {
    gh = await startFakeGitHub();
    gh.addUser({ login: "octo" });
    dataDir = mkdtempSync(join(tmpdir(), "kli8nt-e2e-previews-"));
    const [apiPort, routerPort] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${apiPort}`;
    platform = await startPlatform(
      { ...platformEnv(dataDir, routerPort, env), ...gitHubAppEnv(gh, url, SECRETS) },
      { api: apiPort, router: routerPort },
    );
    session = (await signInOverHttp(url, gh, "octo")).session;
  }, 120_000);

  afterAll(async () => {
    const leftovers = ready ? appContainers(PREVIEW) : [];
    await tearDownPlatform({ platform, app: ready ? APP : undefined, github: gh, dataDir });
    expect(leftovers).toEqual([]);
  });

  it("serves the pull request's head on <app>-pr-<n> while <app> keeps production, and removes it on close", async () => {
    const repo = await gh.addRepo({ owner: "octo", name: APP, fromDir: samplePath("node-hello") });
    const source = readFileSync(join(samplePath("node-hello"), "server.js"), "utf8");
    const created = await call("POST", "/apps", {
      name: APP,
      repository: { url: repo.cloneUrl, branch: "main" },
    });
    expect(created.status).toBe(201);
    expect((await call("PATCH", `/apps/${APP}`, { previews: { mode: "all" } })).status).toBe(200);
    await eventually("the webhook on GitHub", async () =>
      gh.hooks(`octo/${APP}`).length === 1 ? true : undefined,
    );

    const pushed = await gh.push(`octo/${APP}`, { files: { "server.js": source } });
    expect(pushed.deliveries.map((d) => d.status)).toEqual([202]);
    await untilLive(
      "production",
      async () => (await call("GET", `/apps/${APP}`)).json.latestDeployment as never,
    );
    const production = await viaRouter(platform.routerPort, APP);
    expect(production.status).toBe(200);

    const opened = await gh.openPullRequest(`octo/${APP}`, {
      head: "greeting",
      files: { "server.js": source.replace("hello from", "hello preview from") },
    });
    expect(opened.number).toBe(1);
    const preview = await untilLive("the preview", async () => {
      const items = (await call("GET", `/apps/${APP}/previews`)).json.items as Array<Record<string, unknown>>;
      return items[0];
    });
    expect(preview).toMatchObject({ app: PREVIEW, head: { sha: opened.headSha } });
    expect(preview.url).toBe(`http://${PREVIEW}.localhost:${platform.routerPort}`);
    expect(await viaRouter(platform.routerPort, PREVIEW)).toEqual({
      status: 200,
      body: production.body.replace("hello from", "hello preview from"),
    });
    // The production hostname still answers with the production release, not the preview's.
    expect(await viaRouter(platform.routerPort, APP)).toEqual(production);
    const apps = (await call("GET", "/apps")).json.items as Array<{ name: string }>;
    expect(apps.map((a) => a.name)).not.toContain(PREVIEW);

    const ghDeployment = await eventually("the preview's success status", async () => {
      const d = gh.deployments(`octo/${APP}`).find((x) => x.environment === `${APP}/pr-1`);
      return d?.statuses.some((s) => s.state === "success") ? d : undefined;
    });
    expect(ghDeployment.statuses.at(-1)?.environmentUrl).toBe(preview.url);
    expect(gh.issueComments(`octo/${APP}`, 1)).toHaveLength(1);

    await gh.closePullRequest(`octo/${APP}`, 1);
    await eventually("the preview's route gone", async () => {
      const res = await viaRouter(platform.routerPort, PREVIEW);
      return res.status === 404 ? true : undefined;
    });
    await eventually("the preview's containers gone", async () =>
      appContainers(PREVIEW).length === 0 ? true : undefined,
    );
    expect((await call("GET", `/apps/${APP}/previews`)).json.items).toEqual([]);
    expect(
      gh
        .deployments(`octo/${APP}`)
        .find((x) => x.environment === `${APP}/pr-1`)
        ?.statuses.at(-1)?.state,
    ).toBe("inactive");
    expect(await viaRouter(platform.routerPort, APP)).toEqual(production);
  });
});
