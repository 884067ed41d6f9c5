import { type FakeGitHub, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubClient } from "./github-client.ts";
import { type GitHubError, isGitHubError } from "./github-error.ts";

async function failure(p: Promise<unknown>): Promise<GitHubError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isGitHubError(err)) throw new Error(`expected a GitHubError, got ${String(err)}`);
  return err;
}

describe("repositories, branches and refs through Octokit (against the fake GitHub)", () => {
  let gh: FakeGitHub;
  let token: string;
  let mainSha: string;

  beforeAll(async () => {
    gh = await startFakeGitHub();
    token = gh.addUser({ login: "alice" }).token;
    gh.addUser({ login: "bob" });
    const secret = await gh.addRepo({
      owner: "alice",
      name: "secret-api",
      private: true,
      branches: { develop: { "dev.txt": "dev\n" } },
    });
    mainSha = secret.headSha;
    for (const name of ["alpha", "beta", "gamma", "delta", "web-site", "web-shop"]) {
      await gh.addRepo({ owner: "alice", name });
    }
    await gh.addRepo({ owner: "bob", name: "bobs-private", private: true });
    await gh.addRepo({ owner: "bob", name: "shared", private: true, collaborators: ["alice"] });
  });
  afterAll(() => gh.stop());

  const client = () => createGitHubClient({ apiUrl: gh.apiUrl, token });

  it("pages through the user's repos (private and collaborator ones included) with Link headers", async () => {
    const first = await client().listRepos({ perPage: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.nextPage).toBe(2);
    expect(first.lastPage).toBe(3);
    const second = await client().listRepos({ page: 2, perPage: 3 });
    const third = await client().listRepos({ page: 3, perPage: 3 });
    expect(third.nextPage).toBeUndefined();
    const names = [...first.items, ...second.items, ...third.items].map((r) => r.fullName);
    expect(names).toHaveLength(8);
    expect(new Set(names).size).toBe(8);
    expect(names).toContain("alice/secret-api");
    expect(names).toContain("bob/shared");
    expect(names).not.toContain("bob/bobs-private");
    const secret = [...first.items, ...second.items, ...third.items].find((r) => r.name === "secret-api");
    expect(secret).toMatchObject({
      private: true,
      defaultBranch: "main",
      permissions: { admin: true, push: true },
    });
    expect(secret?.cloneUrl).toBe(`${gh.url}/alice/secret-api.git`);
  });

  it("searches repos by name across pages", async () => {
    const found = await client().searchRepos("WEB-");
    expect(found.map((r) => r.fullName).sort()).toEqual(["alice/web-shop", "alice/web-site"]);
    expect(await client().searchRepos("web", 1)).toHaveLength(1);
    expect(await client().searchRepos("no-such-thing")).toEqual([]);
  });

  it("lists branches and resolves refs to commits", async () => {
    const branches = await client().listBranches("alice", "secret-api");
    expect(branches.items.map((b) => b.name)).toEqual(["develop", "main"]);
    const main = await client().resolveRef("alice", "secret-api", "main");
    expect(main.sha).toBe(mainSha);
    expect(main.message).toBe("Initial commit");
    const develop = branches.items.find((b) => b.name === "develop");
    expect((await client().resolveRef("alice", "secret-api", "develop")).sha).toBe(develop?.sha);
    expect((await client().resolveRef("alice", "secret-api", mainSha.slice(0, 10))).sha).toBe(mainSha);
    const missing = await failure(client().resolveRef("alice", "secret-api", "no-such-branch"));
    expect(missing.code).toBe("GITHUB_NOT_FOUND");
  });

  it("answers GITHUB_NOT_FOUND for someone else's private repo", async () => {
    const err = await failure(client().listBranches("bob", "bobs-private"));
    expect(err.code).toBe("GITHUB_NOT_FOUND");
    expect(err.details.status).toBe(404);
  });

  it("turns a revoked token into GITHUB_UNAUTHORIZED asking to reconnect", async () => {
    const t = gh.issueToken("alice");
    const c = createGitHubClient({ apiUrl: gh.apiUrl, token: t });
    expect((await c.getViewer()).login).toBe("alice");
    gh.revokeToken(t);
    const err = await failure(c.listRepos());
    expect(err.code).toBe("GITHUB_UNAUTHORIZED");
    expect(err.details.action).toBe("reconnect-github");
    expect(err.message).toMatch(/reconnect GitHub/);
    expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain(t);
  });

  it("turns an exhausted rate limit (403 and 429) into GITHUB_RATE_LIMITED with the reset time", async () => {
    gh.addUser({ login: "busy" });
    const t = gh.issueToken("busy");
    const c = createGitHubClient({ apiUrl: gh.apiUrl, token: t });
    gh.setRateLimit("busy", { remaining: 0, resetInSeconds: 120 });
    const err = await failure(c.getViewer());
    expect(err.code).toBe("GITHUB_RATE_LIMITED");
    expect(err.details.status).toBe(403);
    const resetIn = Date.parse(err.details.resetAt ?? "") - Date.now();
    expect(resetIn).toBeGreaterThan(100_000);
    expect(resetIn).toBeLessThan(125_000);
    gh.setRateLimit("busy", { remaining: 0, status: 429, resetInSeconds: 30 });
    expect((await failure(c.getViewer())).details.status).toBe(429);
    gh.setRateLimit("busy", { remaining: 10 });
    expect((await c.getViewer()).login).toBe("busy");
  });

  it("turns 5xx answers and timeouts into GITHUB_UNAVAILABLE", async () => {
    gh.failNextRequests({ count: 1, status: 502 });
    expect((await failure(client().getViewer())).code).toBe("GITHUB_UNAVAILABLE");
    gh.failNextRequests({ count: 1, status: 0, delayMs: 1500 });
    const slow = createGitHubClient({ apiUrl: gh.apiUrl, token, timeoutMs: 300 });
    const started = Date.now();
    expect((await failure(slow.getViewer())).code).toBe("GITHUB_UNAVAILABLE");
    expect(Date.now() - started).toBeLessThan(1400);
    expect((await client().getViewer()).login).toBe("alice");
  });

  it("turns an unreachable host into GITHUB_UNAVAILABLE", async () => {
    const c = createGitHubClient({ apiUrl: "http://127.0.0.1:9/api/v3", token });
    expect((await failure(c.getViewer())).code).toBe("GITHUB_UNAVAILABLE");
  });
});
