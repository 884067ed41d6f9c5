import { createApiToken, getGitHubAccount, schema } from "@kli8nt/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { type GitHubTestEnv, startGitHubTestEnv } from "../github/test-env.ts";
import { accessContext } from "../github/user-github.ts";

// The build controller's internal call, on the real api over HTTP (PGlite), with the fake GitHub holding
// the owner's repositories and tokens (expiring ones, so refreshes happen for real).
const INTERNAL = "internal-token-0123456789abcdef-0123456789";
const ADMIN = "admin-token-0123456789abcdef-0123456789abc";

let env: GitHubTestEnv;
let session: string;
let userId: string;
const handed: string[] = [];

const source = (
  deploymentId: string,
  headers: Record<string, string> = { authorization: `Bearer ${INTERNAL}` },
) => fetch(`${env.url}/internal/v1/builds/${deploymentId}/source`, { method: "POST", headers });

async function asAlice<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${env.url}${path}`, {
    method,
    headers: {
      cookie: `kli8nt_session=${session}`,
      origin: env.url,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function deploy(app: string, url: string, port?: number): Promise<string> {
  await asAlice("POST", "/api/apps", {
    name: app,
    repository: { url, branch: "main" },
    ...(port ? { port } : {}),
  });
  return (await asAlice<{ id: string }>("POST", `/api/apps/${app}/deployments`)).id;
}

async function cloneTokenOf(deploymentId: string): Promise<string | null> {
  const res = await source(deploymentId);
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  const body = (await res.json()) as { cloneToken: string | null };
  if (body.cloneToken) handed.push(body.cloneToken);
  return body.cloneToken;
}

beforeAll(async () => {
  env = await startGitHubTestEnv({
    expiringTokens: true,
    env: { KLI8NT_INTERNAL_TOKEN: INTERNAL, KLI8NT_ADMIN_TOKEN: ADMIN },
  });
  env.gh.addUser({ login: "alice" });
  await env.gh.addRepo({ owner: "alice", name: "secret-shop", private: true, files: { "a.txt": "a" } });
  await env.gh.addRepo({ owner: "alice", name: "blog", files: { "index.html": "hi" } });
  ({ session, userId } = await env.signIn("alice"));
});
afterAll(async () => env?.close());

describe("POST /internal/v1/builds/{deploymentId}/source", () => {
  it("answers a private repository's build with the owner's token, the owner and the port override", async () => {
    const id = await deploy("shop", `${env.gh.url}/alice/secret-shop`, 4321);
    const res = await source(id);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    const account = await getGitHubAccount(env.database.db, userId);
    const stored = env.deps.box.decrypt(account?.accessTokenEnc ?? "", accessContext(userId));
    expect(body).toMatchObject({ deploymentId: id, ownerId: userId, port: 4321, cloneToken: stored });
    handed.push(stored);
  });

  it("refreshes a token about to expire first, and hands out the new one", async () => {
    const id = await deploy("shop-two", `${env.gh.url}/alice/secret-shop`);
    const before = await getGitHubAccount(env.database.db, userId);
    await env.database.db
      .update(schema.githubAccounts)
      .set({ tokenExpiresAt: new Date(Date.now() + 60_000) })
      .where(eq(schema.githubAccounts.userId, userId));
    const token = await cloneTokenOf(id);
    const after = await getGitHubAccount(env.database.db, userId);
    const open = (enc: string | undefined) => env.deps.box.decrypt(enc ?? "", accessContext(userId));
    expect(token).toBe(open(after?.accessTokenEnc));
    expect(token).not.toBe(open(before?.accessTokenEnc));
    expect(after?.tokenExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 3_600_000);
  });

  it("gives no token for a public repository nor for one on another host, and port null without override", async () => {
    const blog = await deploy("blog", `${env.gh.url}/alice/blog`);
    expect(await cloneTokenOf(blog)).toBeNull();
    const elsewhere = await deploy("elsewhere", "https://git.example.test/alice/secret-shop.git");
    const res = await source(elsewhere);
    expect(await res.json()).toMatchObject({ cloneToken: null, port: null, ownerId: userId });
  });

  it("accepts only the internal token: not without one, a wrong one, the admin token, a session or an API token", async () => {
    const id = await deploy("guarded", `${env.gh.url}/alice/secret-shop`);
    const apiToken = await createApiToken(env.database.db, userId, "ci");
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${INTERNAL}x` },
      { authorization: `Bearer ${INTERNAL.slice(0, -1)}` },
      { authorization: INTERNAL },
      { authorization: `Bearer ${ADMIN}` },
      { authorization: `Bearer ${apiToken.token}` },
      { cookie: `kli8nt_session=${session}` },
    ];
    for (const headers of attempts) {
      const res = await source(id, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(await res.json()).toMatchObject({ status: 401, code: "INTERNAL_TOKEN_INVALID" });
    }
    // The internal token opens nothing under /api either.
    const apps = await fetch(`${env.url}/api/apps`, { headers: { authorization: `Bearer ${INTERNAL}` } });
    expect(apps.status).toBe(401);
  });

  it("answers 404 for an unknown deployment and 409 once the deployment is past building", async () => {
    const missing = await source("dep_doesnotexist");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "DEPLOYMENT_NOT_FOUND", status: 404 });

    const id = await deploy("done", `${env.gh.url}/alice/secret-shop`);
    await env.database.db
      .update(schema.deployments)
      .set({ state: "building" })
      .where(eq(schema.deployments.id, id));
    expect((await source(id)).status).toBe(200);
    for (const state of ["built", "failed", "cancelled"] as const) {
      await env.database.db.update(schema.deployments).set({ state }).where(eq(schema.deployments.id, id));
      const res = await source(id);
      expect(res.status).toBe(409);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(await res.json()).toMatchObject({
        code: "DEPLOYMENT_NOT_BUILDING",
        detail: expect.stringContaining(state),
      });
    }
  });

  it("never writes a handed-out token to the log, at debug level", () => {
    expect(handed.length).toBeGreaterThanOrEqual(2);
    const lines = env.logs.join("");
    expect(lines).toContain("/internal/v1/builds/");
    for (const token of handed) expect(lines).not.toContain(token);
  });
});

describe("internal routes off", () => {
  it("exist only with KLI8NT_INTERNAL_TOKEN, which must be long and differ from the admin token", () => {
    expect(() => loadConfig({ KLI8NT_INTERNAL_TOKEN: "short" })).toThrow(/at least 32 characters/);
    expect(() => loadConfig({ KLI8NT_INTERNAL_TOKEN: ADMIN, KLI8NT_ADMIN_TOKEN: ADMIN })).toThrow(
      /must differ from KLI8NT_ADMIN_TOKEN/,
    );
    expect(loadConfig({}).internalToken).toBeUndefined();
  });

  it("take a port of their own only with their token, and not the public one", () => {
    expect(() => loadConfig({ KLI8NT_INTERNAL_PORT: "8081" })).toThrow(/set the token too/);
    expect(() =>
      loadConfig({ KLI8NT_INTERNAL_TOKEN: INTERNAL, KLI8NT_PORT: "8080", KLI8NT_INTERNAL_PORT: "8080" }),
    ).toThrow(/must differ from KLI8NT_PORT/);
    expect(loadConfig({ KLI8NT_INTERNAL_TOKEN: INTERNAL, KLI8NT_INTERNAL_PORT: "8081" }).internalPort).toBe(
      8081,
    );
    expect(loadConfig({}).internalPort).toBeUndefined();
  });
});
