import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubTestEnv, startGitHubTestEnv } from "../github/test-env.ts";

// GET /api/apps/:name/plan: the real api clones the app's branch head from the fake GitHub over smart HTTP
// with the owner's token (private repositories), detects with the app's settings, and caches per commit.
let env: GitHubTestEnv;
let cookie: string;

const NODE_APP = {
  "package.json": JSON.stringify({
    name: "shop",
    scripts: { start: "node server.js" },
    engines: { node: "20" },
  }),
  "package-lock.json": JSON.stringify({ name: "shop", lockfileVersion: 3, packages: {} }),
  "server.js": "require('http').createServer((q, s) => s.end('hi')).listen(process.env.PORT);\n",
};

beforeAll(async () => {
  env = await startGitHubTestEnv();
  env.gh.addUser({ login: "alice" });
  cookie = `kli8nt_session=${(await env.signIn("alice")).session}`;
});
afterAll(async () => env?.close());

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${env.url}/api${path}`, {
    method,
    headers: { cookie, origin: env.url, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    json: (await res.json()) as Record<string, unknown>,
  };
}

async function createApp(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}) {
  const repo = await env.gh.addRepo({ owner: "alice", name, private: true, defaultBranch: "master", files });
  const created = await call("POST", "/apps", { name, repository: { url: repo.cloneUrl }, ...extra });
  expect(created.status).toBe(201);
  return repo;
}

describe("GET /api/apps/:name/plan", () => {
  it("plans the head of the app's branch, follows new commits and the app's settings", async () => {
    const repo = await createApp("shop", NODE_APP);
    const first = await call("GET", "/apps/shop/plan");
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      provider: "node",
      start: "npm run start",
      commitSha: repo.headSha,
      branch: "master",
      detectedBy: expect.stringContaining("node"),
      runtimeVersions: { node: "20" },
    });
    expect(Array.isArray(first.json.warnings)).toBe(true);

    const pushed = await env.gh.push("alice/shop", {
      files: { Procfile: "web: node server.js --cluster\n" },
    });
    const second = await call("GET", "/apps/shop/plan");
    expect(second.json).toMatchObject({ commitSha: pushed.after, start: "node server.js --cluster" });

    await call("PATCH", "/apps/shop", { buildSettings: { startCommand: "node server.js --from-settings" } });
    const third = await call("GET", "/apps/shop/plan");
    expect(third.json).toMatchObject({
      commitSha: pushed.after,
      start: "node server.js --from-settings",
      buildSettings: { startCommand: "node server.js --from-settings" },
    });
  });

  it("says a root Containerfile, or the settings' Dockerfile, is used unchanged", async () => {
    await createApp("boxed", { Containerfile: "FROM scratch\n" });
    expect((await call("GET", "/apps/boxed/plan")).json).toMatchObject({
      provider: "dockerfile",
      detectedBy: "dockerfile: Containerfile used unchanged",
    });
    await createApp(
      "ops",
      { ...NODE_APP, "ops/Dockerfile.web": "FROM scratch\n" },
      {
        buildSettings: { dockerfilePath: "ops/Dockerfile.web" },
      },
    );
    expect((await call("GET", "/apps/ops/plan")).json.detectedBy).toBe(
      "dockerfile: ops/Dockerfile.web used unchanged",
    );
  });

  it("answers problem+json for an undetectable stack and for a branch that is gone", async () => {
    await createApp("blank", { "notes.md": "nothing to run" });
    const undetected = await call("GET", "/apps/blank/plan");
    expect(undetected.status).toBe(422);
    expect(undetected.type).toContain("application/problem+json");
    expect(undetected.json).toMatchObject({ code: "STACK_UNDETECTED" });

    await call("PATCH", "/apps/blank", { repository: { branch: "gone" } });
    const gone = await call("GET", "/apps/blank/plan");
    expect(gone.status).toBe(422);
    expect(gone.json).toMatchObject({ code: "BRANCH_NOT_FOUND" });
  });

  it("is 404 for another user's app", async () => {
    expect((await call("GET", "/apps/nobody/plan")).status).toBe(404);
  });
});
