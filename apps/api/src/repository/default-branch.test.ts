import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubTestEnv, startGitHubTestEnv } from "../github/test-env.ts";

// Issue 26: an app created without a branch follows the repository's own default branch, read over real git
// smart HTTP from the fake GitHub with the user's token (the repository is private), and stored.
let env: GitHubTestEnv;
let cookie: string;

beforeAll(async () => {
  env = await startGitHubTestEnv({ env: { KLI8NT_ALLOW_LOCAL_REPOS: "true" } });
  env.gh.addUser({ login: "alice" });
  cookie = `kli8nt_session=${(await env.signIn("alice")).session}`;
});
afterAll(async () => env?.close());

async function create(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${env.url}/api/apps`, {
    method: "POST",
    headers: { cookie, origin: env.url, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("creating an app without a branch", () => {
  it("stores the default branch of a private GitHub repository whose default is master", async () => {
    await env.gh.addRepo({
      owner: "alice",
      name: "legacy",
      private: true,
      defaultBranch: "master",
      files: { "index.html": "hi" },
      branches: { main: { "index.html": "not the default" } },
    });
    const res = await create({ name: "legacy", repository: { url: `${env.gh.url}/alice/legacy` } });
    expect(res.status).toBe(201);
    expect(res.json.repository).toMatchObject({ branch: "master" });
    const shown = await fetch(`${env.url}/api/apps/legacy`, { headers: { cookie } });
    expect(((await shown.json()) as { repository: { branch: string } }).repository.branch).toBe("master");
  });

  it("keeps a branch the user gives", async () => {
    await env.gh.addRepo({ owner: "alice", name: "given", defaultBranch: "master", files: { a: "1" } });
    const res = await create({
      name: "given",
      repository: { url: `${env.gh.url}/alice/given`, branch: "dev" },
    });
    expect(res.status).toBe(201);
    expect(res.json.repository).toMatchObject({ branch: "dev" });
  });

  it("follows a local repository's HEAD", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kli8nt-default-branch-"));
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir });
    git("init", "--quiet", "--initial-branch=trunk");
    git("commit", "--quiet", "--allow-empty", "-m", "first");
    const res = await create({ name: "local-trunk", repository: { url: dir } });
    expect(res.status).toBe(201);
    expect(res.json.repository).toMatchObject({ branch: "trunk" });
  });

  it("answers problem+json REPOSITORY_EMPTY for a repository without commits, and creates nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kli8nt-empty-repo-"));
    execFileSync("git", ["init", "--quiet", "--bare", dir]);
    const res = await create({ name: "empty", repository: { url: dir } });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: "REPOSITORY_EMPTY", status: 400 });
    expect(String(res.json.detail)).toMatch(/no commits/);
    expect((await fetch(`${env.url}/api/apps/empty`, { headers: { cookie } })).status).toBe(404);
  });

  it("answers problem+json REPOSITORY_UNREACHABLE for a repository that does not exist", async () => {
    const res = await create({ name: "missing", repository: { url: `${env.gh.url}/alice/missing` } });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: "REPOSITORY_UNREACHABLE" });
    expect(String(res.json.detail)).toMatch(/give a branch/);
  });

  it("says a taken name first, without asking the repository", async () => {
    // "legacy" exists (first test); the repository does not: the name is the answer, not the repository.
    const res = await create({ name: "legacy", repository: { url: `${env.gh.url}/alice/missing` } });
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ code: "APP_NAME_TAKEN" });
  });
});
