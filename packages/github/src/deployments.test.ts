import { type FakeGitHub, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubClient } from "./github-client.ts";

describe("GitHub Deployments and statuses (against the fake GitHub)", () => {
  let gh: FakeGitHub;
  let token: string;
  let sha: string;

  beforeAll(async () => {
    gh = await startFakeGitHub();
    token = gh.addUser({ login: "dora" }).token;
    sha = (await gh.addRepo({ owner: "dora", name: "shop", private: true })).headSha;
  });
  afterAll(() => gh.stop());

  it("records queued → in_progress → success with the environment URL, in order", async () => {
    const c = createGitHubClient({ apiUrl: gh.apiUrl, token });
    const dep = await c.createDeployment({
      owner: "dora",
      repo: "shop",
      sha,
      environment: "shop",
      description: "Kli8nt deployment 1",
      payload: { kli8ntDeploymentId: "d1" },
    });
    expect(dep.sha).toBe(sha);
    const base = { owner: "dora", repo: "shop", deploymentId: dep.id };
    await c.createDeploymentStatus({ ...base, state: "queued", logUrl: "http://kli8nt.test/d1/logs" });
    await c.createDeploymentStatus({ ...base, state: "in_progress" });
    await c.createDeploymentStatus({ ...base, state: "success", environmentUrl: "https://shop.apps.test" });

    const [recorded] = gh.deployments("dora/shop");
    expect(recorded).toMatchObject({
      environment: "shop",
      sha,
      ref: sha,
      payload: { kli8ntDeploymentId: "d1" },
    });
    expect(recorded?.statuses.map((s) => s.state)).toEqual(["queued", "in_progress", "success"]);
    expect(recorded?.statuses[0]?.logUrl).toBe("http://kli8nt.test/d1/logs");
    expect(recorded?.statuses[2]?.environmentUrl).toBe("https://shop.apps.test");
    const listed = await c.listDeploymentStatuses("dora", "shop", dep.id);
    expect(listed.map((s) => s.state)).toEqual(["queued", "in_progress", "success"]);
  });

  it("records failure with a description cut to GitHub's 140 characters, and inactive for a superseded one", async () => {
    const c = createGitHubClient({ apiUrl: gh.apiUrl, token });
    const old = await c.createDeployment({ owner: "dora", repo: "shop", sha, environment: "shop-b" });
    await c.createDeploymentStatus({ owner: "dora", repo: "shop", deploymentId: old.id, state: "success" });
    const next = await c.createDeployment({ owner: "dora", repo: "shop", sha, environment: "shop-b" });
    const long = `Build failed: ${"x".repeat(300)}`;
    await c.createDeploymentStatus({
      owner: "dora",
      repo: "shop",
      deploymentId: next.id,
      state: "failure",
      description: long,
    });
    await c.createDeploymentStatus({ owner: "dora", repo: "shop", deploymentId: old.id, state: "inactive" });
    const byId = new Map(gh.deployments("dora/shop").map((d) => [d.id, d]));
    expect(byId.get(next.id)?.statuses.at(-1)).toMatchObject({
      state: "failure",
      description: long.slice(0, 140),
    });
    expect(byId.get(old.id)?.statuses.map((s) => s.state)).toEqual(["success", "inactive"]);
  });

  it("refuses a deployment of an unknown commit and a token without access", async () => {
    const c = createGitHubClient({ apiUrl: gh.apiUrl, token });
    await expect(
      c.createDeployment({ owner: "dora", repo: "shop", sha: "f".repeat(40), environment: "shop" }),
    ).rejects.toMatchObject({ code: "GITHUB_INVALID_REQUEST", details: { status: 422 } });
    gh.addUser({ login: "eve" });
    const eve = createGitHubClient({ apiUrl: gh.apiUrl, token: gh.issueToken("eve") });
    await expect(
      eve.createDeployment({ owner: "dora", repo: "shop", sha, environment: "shop" }),
    ).rejects.toMatchObject({ code: "GITHUB_NOT_FOUND" });
  });
});
