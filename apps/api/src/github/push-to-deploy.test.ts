import type { Deployment } from "@kli8nt/core";
import { countUnpublished, listDeployments, listGitHubHooks, schema, transitionDeployment } from "@kli8nt/db";
import { signBody } from "@kli8nt/testkit";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncGitHubDeploymentStatus } from "./deployment-status.ts";
import { eventually, type GitHubTestEnv, startGitHubTestEnv, WEBHOOK_SECRET } from "./test-env.ts";

let env: GitHubTestEnv;
let cookie: string;
let appId: string;

const deploymentsOf = async (id: string) => (await listDeployments(env.database.db, id, { limit: 50 })).items;

async function move(d: Deployment, to: Deployment["state"], patch = {}): Promise<Deployment> {
  const next = await transitionDeployment(env.database.db, d.id, to, to, patch);
  if (!next) throw new Error("duplicate transition");
  await syncGitHubDeploymentStatus(env.deps, next);
  return next;
}

beforeAll(async () => {
  env = await startGitHubTestEnv();
  env.gh.addUser({ login: "alice" });
  await env.gh.addRepo({ owner: "alice", name: "shop", private: true, files: { "server.js": "v1" } });
  cookie = `kli8nt_session=${(await env.signIn("alice")).session}`;
  const res = await fetch(`${env.url}/api/apps`, {
    method: "POST",
    headers: { cookie, origin: env.url, "content-type": "application/json" },
    body: JSON.stringify({ name: "shop", repository: { url: `${env.gh.url}/alice/shop`, branch: "main" } }),
  });
  expect(res.status).toBe(201);
  appId = ((await res.json()) as { id: string }).id;
});
afterAll(async () => env?.close());

describe("push-to-deploy", () => {
  it("creates a signed push webhook on the repository when the app is created", async () => {
    await eventually(() => expect(env.gh.hooks("alice/shop")).toHaveLength(1));
    const [hook] = env.gh.hooks("alice/shop");
    expect(hook).toMatchObject({
      events: ["push", "pull_request"],
      contentType: "json",
      secret: WEBHOOK_SECRET,
    });
    expect(hook?.url).toBe(`${env.url}/api/github/webhook?app=${appId}`);
    await eventually(() => expect(env.gh.deliveries.find((d) => d.event === "ping")?.status).toBe(202));
  });

  it("queues a deployment for a push to the app's branch, answers 202, and reports queued to GitHub", async () => {
    const outboxBefore = await countUnpublished(env.database.db);
    const { after, deliveries } = await env.gh.push("alice/shop", { files: { "server.js": "v2" } });
    expect(deliveries.map((d) => d.status)).toEqual([202]);
    expect(deliveries[0]?.durationMs).toBeLessThan(10_000);
    const [deployment] = await deploymentsOf(appId);
    expect(deployment).toMatchObject({ trigger: "push", ref: "main", commitSha: after, state: "queued" });
    expect(await countUnpublished(env.database.db)).toBe(outboxBefore + 1);
    await eventually(() =>
      expect(env.gh.deployments("alice/shop")[0]?.statuses.map((s) => s.state)).toEqual(["queued"]),
    );
    expect(env.gh.deployments("alice/shop")[0]).toMatchObject({ sha: after, environment: "shop" });
  });

  it("deploys a redelivered delivery only once", async () => {
    const delivery = env.gh.deliveries.findLast((d) => d.event === "push");
    const again = await env.gh.redeliver(delivery?.id ?? "");
    expect(again.status).toBe(200);
    expect(await deploymentsOf(appId)).toHaveLength(1);
  });

  it("deploys a captured delivery replayed under a new delivery id only once (deduplicated on the signed body)", async () => {
    const delivery = env.gh.deliveries.findLast((d) => d.event === "push");
    const replay = await fetch(`${env.url}/api/github/webhook`, {
      method: "POST",
      headers: { ...delivery?.requestHeaders, "x-github-delivery": "replayed-under-a-new-id" },
      body: delivery?.body ?? "",
    });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ status: "duplicate" });
    expect(await deploymentsOf(appId)).toHaveLength(1);
  });

  it("refuses a tampered delivery with 401 and queues nothing", async () => {
    const delivery = env.gh.deliveries.findLast((d) => d.event === "push");
    const body = (delivery?.body ?? "").replace(/"after":"[0-9a-f]{40}"/, `"after":"${"b".repeat(40)}"`);
    const res = await fetch(`${env.url}/api/github/webhook?app=${appId}`, {
      method: "POST",
      headers: { ...delivery?.requestHeaders, "x-github-delivery": "forged-1" },
      body,
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID" });
    const unsigned = await fetch(`${env.url}/api/github/webhook`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": "forged-2",
      },
      body,
    });
    expect(unsigned.status).toBe(401);
    expect(await deploymentsOf(appId)).toHaveLength(1);
  });

  it("ignores pushes to other branches, other events, and hooks no app owns", async () => {
    const other = await env.gh.push("alice/shop", { branch: "feature", files: { "x.txt": "1" } });
    expect(other.deliveries.map((d) => d.status)).toEqual([202]);
    expect(other.deliveries[0]?.responseBody).toContain("ignored");
    const [star] = await env.gh.deliver("alice/shop", "push", { zen: "not a push" });
    expect(star?.status).toBe(202);
    const body = JSON.stringify({
      ref: "refs/heads/main",
      after: "c".repeat(40),
      repository: { id: 1, full_name: "alice/shop" },
    });
    const unknownHook = await fetch(`${env.url}/api/github/webhook`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": "d-unknown",
        "x-github-hook-id": "999999",
        "x-hub-signature-256": signBody(WEBHOOK_SECRET, body),
      },
      body,
    });
    expect(unknownHook.status).toBe(202);
    expect(await deploymentsOf(appId)).toHaveLength(1);
  });

  it("posts queued, in_progress, success with the app URL in order, and marks a superseded one inactive", async () => {
    let [first] = await deploymentsOf(appId);
    if (!first) throw new Error("no deployment");
    first = await move(first, "building");
    first = await move(first, "built");
    first = await move(first, "deploying");
    first = await move(first, "live", { url: "http://shop.apps.test" });
    const [mirror] = env.gh.deployments("alice/shop");
    expect(mirror?.statuses.map((s) => s.state)).toEqual(["queued", "in_progress", "success"]);
    expect(mirror?.statuses.at(-1)?.environmentUrl).toBe("http://shop.apps.test");
    // A redelivered transition reports nothing twice.
    await syncGitHubDeploymentStatus(env.deps, first);
    expect(mirror?.statuses).toHaveLength(3);

    await env.gh.push("alice/shop", { files: { "server.js": "v3" } });
    await eventually(() => expect(env.gh.deployments("alice/shop")).toHaveLength(2));
    await move(first, "superseded");
    expect(
      env.gh
        .deployments("alice/shop")
        .find((d) => d.id === mirror?.id)
        ?.statuses.at(-1)?.state,
    ).toBe("inactive");
  });

  it("keeps the deploy path working when GitHub fails: the status is retried", async () => {
    const [latest] = await deploymentsOf(appId);
    if (!latest) throw new Error("no deployment");
    const mirrorOf = () => env.gh.deployments("alice/shop").find((d) => d.sha === latest.commitSha);
    await eventually(() => expect(mirrorOf()?.statuses).toHaveLength(1));
    env.gh.failNextRequests({ count: 1, status: 502 });
    await move(latest, "building");
    expect(mirrorOf()?.statuses.map((s) => s.state)).toEqual(["queued", "in_progress"]);
  });

  it('mirrors a "deploy now" on GitHub too', async () => {
    const res = await fetch(`${env.url}/api/apps/shop/deployments`, {
      method: "POST",
      headers: { cookie, origin: env.url, "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await eventually(() => {
      const mirror = env.gh.deployments("alice/shop").find((d) => JSON.stringify(d.payload).includes(id));
      expect(mirror?.statuses.map((s) => s.state)).toEqual(["queued"]);
    });
  });

  it("deletes the webhook when the app is deleted", async () => {
    const res = await fetch(`${env.url}/api/apps/shop`, {
      method: "DELETE",
      headers: { cookie, origin: env.url },
    });
    expect(res.status).toBe(204);
    await eventually(() => expect(env.gh.hooks("alice/shop")).toHaveLength(0));
    await eventually(async () => expect(await listGitHubHooks(env.database.db)).toHaveLength(0));
    const rows = await env.database.db
      .select()
      .from(schema.githubHooks)
      .where(eq(schema.githubHooks.appId, appId));
    expect(rows).toHaveLength(0);
  });

  it("never wrote the user's token to a log line", async () => {
    const logs = env.logs.join("\n");
    expect(logs).toContain("Queued deployment from push");
    expect(logs).not.toMatch(/gh[opur]_[A-Za-z0-9]{20,}/);
  });
});
