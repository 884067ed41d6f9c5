import type { Deployment } from "@kli8nt/core";
import {
  findPreview,
  listDeployments,
  resolveEnv,
  schema,
  TEST_DATABASE_URL,
  transitionDeployment,
} from "@kli8nt/db";
import { failUnderCi } from "@kli8nt/testkit";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncGitHubDeploymentStatus } from "../deployment-status.ts";
import { eventually, type GitHubTestEnv, startGitHubTestEnv } from "../test-env.ts";

// The api on a real PostgreSQL database (scripts/with-services.sh postgres) and the fake GitHub.
const noPostgres = failUnderCi(
  !TEST_DATABASE_URL,
  "KLI8NT_TEST_DATABASE_URL is not set: run through `npm test` or `scripts/with-services.sh postgres`",
);

let env: GitHubTestEnv;
let cookie: string;
let appId: string;

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${env.url}${path}`, {
    method,
    headers: { cookie, origin: env.url, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

async function move(d: Deployment, to: Deployment["state"], patch = {}): Promise<Deployment> {
  const next = await transitionDeployment(env.database.db, d.id, to, to, patch);
  if (!next) throw new Error("duplicate transition");
  await syncGitHubDeploymentStatus(env.deps, next);
  return next;
}

const previewOf = (n: number) => findPreview(env.database.db, appId, n);
const latestOf = async (previewAppId: string) =>
  (await listDeployments(env.database.db, previewAppId, { limit: 1 })).items[0];
const previewItems = async () =>
  ((await (await call("GET", "/api/apps/shop/previews")).json()) as { items: Array<{ number: number }> })
    .items;
const shopDeployments = (environment: string) =>
  env.gh.deployments("alice/shop").filter((d) => d.environment === environment);

beforeAll(async () => {
  if (noPostgres) return;
  env = await startGitHubTestEnv({ postgres: true });
  env.gh.addUser({ login: "alice" });
  env.gh.addUser({ login: "mallory" });
  await env.gh.addRepo({ owner: "alice", name: "shop", files: { "server.js": "v1" } });
  cookie = `kli8nt_session=${(await env.signIn("alice")).session}`;
  const res = await call("POST", "/api/apps", {
    name: "shop",
    repository: { url: `${env.gh.url}/alice/shop`, branch: "main" },
  });
  appId = ((await res.json()) as { id: string }).id;
  await eventually(() => expect(env.gh.hooks("alice/shop")).toHaveLength(1));
  const patched = await call("PATCH", "/api/apps/shop", {
    previews: { mode: "all", max: 2, env: { GREETING: "preview" } },
  });
  expect(patched.status).toBe(200);
  const put = await call("PUT", "/api/apps/shop/env", {
    vars: [
      { key: "GREETING", value: "prod" },
      { key: "PROD_TOKEN", value: "s3cret-prod", secret: true, preview: false },
      { key: "SHARED_TOKEN", value: "s3cret-shared", secret: true },
      { key: "PREVIEW_ONLY", value: "p", preview: "only" },
    ],
  });
  expect(put.status).toBe(200);
});
afterAll(async () => env?.close());

describe.skipIf(noPostgres)("pull request previews", () => {
  it("deploys an opened pull request as <app>-pr-<n>: hidden app, transient GitHub Deployment, one comment", async () => {
    const opened = await env.gh.openPullRequest("alice/shop", { head: "faster", title: "Faster pages" });
    expect(opened.deliveries.map((d) => d.status)).toEqual([202]);
    const preview = await previewOf(opened.number);
    expect(preview?.app.name).toBe(`shop-pr-${opened.number}`);
    expect(await latestOf(preview?.app.id ?? "")).toMatchObject({
      commitSha: opened.headSha,
      state: "queued",
    });
    const listed = await (await call("GET", "/api/apps/shop/previews")).json();
    expect(listed).toMatchObject({
      settings: { mode: "all", max: 2, allowForks: false },
      items: [
        {
          number: opened.number,
          app: "shop-pr-1",
          state: "queued",
          url: "http://shop-pr-1.apps.test",
          pullRequest: { title: "Faster pages", url: `${env.gh.url}/alice/shop/pull/1` },
          head: { ref: "faster", sha: opened.headSha },
        },
      ],
    });
    const apps = (await (await call("GET", "/api/apps")).json()) as { items: Array<{ name: string }> };
    expect(apps.items.map((a: { name: string }) => a.name)).toEqual(["shop"]);
    await eventually(() =>
      expect(shopDeployments("shop/pr-1")[0]?.statuses.map((s) => s.state)).toEqual(["queued"]),
    );
    expect(shopDeployments("shop/pr-1")[0]).toMatchObject({
      sha: opened.headSha,
      transientEnvironment: true,
      productionEnvironment: false,
    });
    await eventually(() => expect(env.gh.issueComments("alice/shop", 1)).toHaveLength(1));
    expect(env.gh.issueComments("alice/shop", 1)[0]?.body).toContain("http://shop-pr-1.apps.test");
  });

  it("gives the preview its app's variables without preview:false ones, with preview-only ones and overrides", async () => {
    const preview = await previewOf(1);
    const vars = Object.fromEntries(
      (await resolveEnv(env.database.db, env.deps.box, preview?.app.id ?? "")).map((v) => [v.key, v.value]),
    );
    expect(vars).toEqual({
      GREETING: "preview",
      SHARED_TOKEN: "s3cret-shared",
      PREVIEW_ONLY: "p",
      KLI8NT_PREVIEW: "1",
      KLI8NT_PR_NUMBER: "1",
    });
    const parentKeys = (await resolveEnv(env.database.db, env.deps.box, appId)).map((v) => v.key);
    expect(parentKeys).toEqual(["GREETING", "PROD_TOKEN", "SHARED_TOKEN"]);
  });

  it("reports success with the preview URL and edits the same comment on each push", async () => {
    const preview = await previewOf(1);
    let d = (await latestOf(preview?.app.id ?? "")) as Deployment;
    for (const step of ["building", "built", "deploying"] as const) d = await move(d, step);
    await move(d, "live", { url: "http://shop-pr-1.apps.test" });
    const statuses = shopDeployments("shop/pr-1")[0]?.statuses ?? [];
    expect([...new Set(statuses.map((s) => s.state))]).toEqual(["queued", "in_progress", "success"]);
    expect(statuses.at(-1)).toMatchObject({ state: "success", environmentUrl: "http://shop-pr-1.apps.test" });
    expect(env.gh.issueComments("alice/shop", 1)[0]?.body).toContain("Live");
    const pushed = await env.gh.pushToPullRequest("alice/shop", 1, { "server.js": "v3" });
    expect(pushed.deliveries.map((x) => x.status)).toEqual([202]);
    await eventually(() => expect(shopDeployments("shop/pr-1")).toHaveLength(2));
    await eventually(() =>
      expect(env.gh.issueComments("alice/shop", 1)[0]?.body).toContain(pushed.headSha.slice(0, 7)),
    );
    expect(env.gh.issueComments("alice/shop", 1)).toHaveLength(1);
  });

  it("does not deploy a fork's pull request unless forks are allowed, and then without secrets", async () => {
    const fork = await env.gh.fork("alice/shop", "mallory");
    const opened = await env.gh.openPullRequest("alice/shop", { head: "evil", headRepo: fork.fullName });
    expect(JSON.parse(opened.deliveries[0]?.responseBody ?? "{}")).toMatchObject({ status: "ignored" });
    expect(await previewOf(opened.number)).toBeNull();
    await call("PATCH", "/api/apps/shop", { previews: { allowForks: true, max: 5 } });
    const again = await env.gh.pushToPullRequest("alice/shop", opened.number);
    expect(JSON.parse(again.deliveries[0]?.responseBody ?? "{}")).toMatchObject({ status: "queued" });
    const preview = await previewOf(opened.number);
    expect(preview).toMatchObject({ fork: true, headRepo: "mallory/shop" });
    expect(preview?.app.repository.url).toBe(`${env.gh.url}/mallory/shop.git`);
    const keys = (await resolveEnv(env.database.db, env.deps.box, preview?.app.id ?? "")).map((v) => v.key);
    expect(keys).not.toContain("SHARED_TOKEN");
    expect(keys).not.toContain("PROD_TOKEN");
    await env.gh.closePullRequest("alice/shop", opened.number);
    expect(await previewOf(opened.number)).toBeNull();
    await call("PATCH", "/api/apps/shop", { previews: { allowForks: false, max: 2 } });
  });

  it("keeps at most max previews: the oldest is torn down with a note on its pull request", async () => {
    const second = await env.gh.openPullRequest("alice/shop", { head: "second" });
    expect(await previewOf(second.number)).not.toBeNull();
    const third = await env.gh.openPullRequest("alice/shop", { head: "third" });
    expect(await previewOf(third.number)).not.toBeNull();
    expect(await previewOf(1)).toBeNull();
    expect(env.gh.issueComments("alice/shop", 1)[0]?.body).toContain("keeps at most 2 previews");
    for (const d of shopDeployments("shop/pr-1")) {
      if (d.statuses.length > 0) expect(d.statuses.at(-1)?.state).toBe("inactive");
    }
  });

  it("tears a preview down when its pull request closes, and on DELETE", async () => {
    const [open] = await previewItems();
    const number = open?.number ?? 0;
    await eventually(() =>
      expect(shopDeployments(`shop/pr-${number}`)[0]?.statuses.length).toBeGreaterThan(0),
    );
    await env.gh.closePullRequest("alice/shop", number);
    expect(await previewOf(number)).toBeNull();
    expect(shopDeployments(`shop/pr-${number}`)[0]?.statuses.at(-1)?.state).toBe("inactive");
    const rows = await env.database.db
      .select()
      .from(schema.apps)
      .where(eq(schema.apps.name, `shop-pr-${number}`));
    expect(rows).toEqual([]);
    const [last] = await previewItems();
    expect((await call("DELETE", `/api/apps/shop/previews/${last?.number}`)).status).toBe(204);
    const gone = await call("DELETE", `/api/apps/shop/previews/${last?.number}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: "PREVIEW_NOT_FOUND" });
    expect(await previewItems()).toEqual([]);
  });

  it("in label mode deploys only labelled pull requests, and tears down when the label is removed", async () => {
    await call("PATCH", "/api/apps/shop", { previews: { mode: "label", label: "preview" } });
    const opened = await env.gh.openPullRequest("alice/shop", { head: "labelled" });
    expect(JSON.parse(opened.deliveries[0]?.responseBody ?? "{}")).toMatchObject({ status: "ignored" });
    expect(await previewOf(opened.number)).toBeNull();
    const labelled = await env.gh.labelPullRequest("alice/shop", opened.number, "preview");
    expect(JSON.parse(labelled.deliveries[0]?.responseBody ?? "{}")).toMatchObject({ status: "queued" });
    expect((await previewItems()).map((p) => p.number)).toEqual([opened.number]);
    await eventually(() =>
      expect(shopDeployments(`shop/pr-${opened.number}`)[0]?.statuses.length).toBeGreaterThan(0),
    );
    await env.gh.unlabelPullRequest("alice/shop", opened.number, "preview");
    expect(await previewOf(opened.number)).toBeNull();
    expect(shopDeployments(`shop/pr-${opened.number}`)[0]?.statuses.at(-1)?.state).toBe("inactive");
    await call("PATCH", "/api/apps/shop", { previews: { mode: "all" } });
  });

  it("gives a hook made before previews the pull_request event on the next sync", async () => {
    const [hook] = env.gh.hooks("alice/shop");
    if (hook) hook.events = ["push"];
    await env.database.db.update(schema.githubHooks).set({ events: ["push"] });
    await env.api.githubHooks.kick();
    expect(env.gh.hooks("alice/shop")[0]?.events).toEqual(["push", "pull_request"]);
  });
});
