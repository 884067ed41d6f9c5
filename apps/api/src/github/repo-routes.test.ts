import { createApiToken, createUser, getGitHubAccount, schema } from "@kli8nt/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubTestEnv, startGitHubTestEnv } from "./test-env.ts";
import { accessContext } from "./user-github.ts";

let env: GitHubTestEnv;
let session: string;
let userId: string;
const get = (path: string, cookie = `kli8nt_session=${session}`) =>
  fetch(`${env.url}${path}`, { headers: { cookie } });

beforeAll(async () => {
  env = await startGitHubTestEnv({ expiringTokens: true });
  env.gh.addUser({ login: "alice" });
  env.gh.addUser({ login: "carol" });
  await env.gh.addRepo({ owner: "alice", name: "secret-shop", private: true, files: { "a.txt": "a" } });
  await env.gh.addRepo({
    owner: "alice",
    name: "blog",
    files: { "index.html": "hi" },
    branches: { preview: { "index.html": "preview" } },
  });
  for (let i = 0; i < 29; i++) {
    await env.gh.addRepo({ owner: "alice", name: `tool-${String(i).padStart(2, "0")}`, files: { f: "x" } });
  }
  await env.gh.addRepo({ owner: "carol", name: "hidden", private: true, files: { f: "x" } });
  ({ session, userId } = await env.signIn("alice"));
});
afterAll(async () => env?.close());

describe("repository picker", () => {
  it("lists the user's repositories a page at a time, private ones marked, others' private ones absent", async () => {
    const first = (await (await get("/api/github/repos")).json()) as {
      items: Array<{ fullName: string; private: boolean }>;
      nextPage: number | null;
    };
    expect(first.items).toHaveLength(30);
    expect(first.nextPage).toBe(2);
    const second = (await (await get("/api/github/repos?page=2")).json()) as typeof first;
    const all = [...first.items, ...second.items];
    expect(all).toHaveLength(31);
    expect(second.nextPage).toBeNull();
    expect(all.find((r) => r.fullName === "alice/secret-shop")).toMatchObject({ private: true });
    expect(all.find((r) => r.fullName === "alice/blog")).toMatchObject({ private: false });
    expect(all.map((r) => r.fullName)).not.toContain("carol/hidden");
  });

  it("searches by owner/name", async () => {
    const res = await get("/api/github/repos?query=SECRET");
    expect(await res.json()).toEqual({
      items: [
        expect.objectContaining({
          fullName: "alice/secret-shop",
          private: true,
          url: `${env.gh.url}/alice/secret-shop`,
        }),
      ],
      nextPage: null,
    });
  });

  it("lists branches, and answers GITHUB_NOT_FOUND for a repository the user cannot see", async () => {
    const res = await get("/api/github/repos/alice/blog/branches");
    const names = ((await res.json()) as { items: Array<{ name: string; sha: string }> }).items.map(
      (b) => b.name,
    );
    expect(names.sort()).toEqual(["main", "preview"]);
    const hidden = await get("/api/github/repos/carol/hidden/branches");
    expect(hidden.status).toBe(404);
    expect(await hidden.json()).toMatchObject({ code: "GITHUB_NOT_FOUND" });
  });

  it("answers 503 problems when GitHub is down or the rate limit is spent", async () => {
    env.gh.failNextRequests({ count: 1, status: 502 });
    const down = await get("/api/github/repos");
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ code: "GITHUB_UNAVAILABLE" });
    env.gh.setRateLimit("alice", { remaining: 0, resetInSeconds: 60 });
    const limited = await get("/api/github/repos");
    env.gh.setRateLimit("alice", { remaining: 5000 });
    expect(limited.status).toBe(503);
    expect(await limited.json()).toMatchObject({ code: "GITHUB_RATE_LIMITED" });
    expect((await get("/api/github/repos")).status).toBe(200);
  });

  it("tells a user without a GitHub account to connect one", async () => {
    const local = await createUser(env.database.db, { login: "local-only" });
    const { token } = await createApiToken(env.database.db, local.id, "t");
    const res = await fetch(`${env.url}/api/github/repos`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "GITHUB_NOT_CONNECTED" });
  });

  it("refreshes an expiring token before using it", async () => {
    const before = await getGitHubAccount(env.database.db, userId);
    await env.database.db
      .update(schema.githubAccounts)
      .set({ tokenExpiresAt: new Date(Date.now() + 60_000) })
      .where(eq(schema.githubAccounts.userId, userId));
    const res = await get("/api/github/repos?query=blog");
    expect(res.status).toBe(200);
    const after = await getGitHubAccount(env.database.db, userId);
    const open = (enc: string | undefined) => env.deps.box.decrypt(enc ?? "", accessContext(userId));
    expect(open(after?.accessTokenEnc)).not.toBe(open(before?.accessTokenEnc));
    expect(after?.tokenExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 3_600_000);
  });

  it("answers GITHUB_RECONNECT_REQUIRED once GitHub revoked the token, and remembers it", async () => {
    const account = await getGitHubAccount(env.database.db, userId);
    env.gh.revokeToken(env.deps.box.decrypt(account?.accessTokenEnc ?? "", accessContext(userId)));
    for (let i = 0; i < 2; i++) {
      const res = await get("/api/github/repos");
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({
        code: "GITHUB_RECONNECT_REQUIRED",
        detail: expect.stringContaining("/auth/github"),
      });
    }
    expect((await getGitHubAccount(env.database.db, userId))?.tokenValid).toBe(false);
    const logs = env.logs.join("\n");
    expect(logs).toContain("GitHub refused the user's token");
    expect(logs).not.toMatch(/gh[opur]_[A-Za-z0-9]{20,}/);
    // Signing in again reconnects.
    await env.signIn("alice");
    expect((await get("/api/github/repos?query=blog")).status).toBe(200);
  });
});
