import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { BUILD_CA_PATH, registryBuildArgs } from "@kli8nt/buildplan";
import { type FakeGitHub, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The build Job's prepare step as its container runs it (a process with the Job's environment), against
// the fake GitHub's real git smart HTTP: clone with the token file, detect, render, lay out /workspace.
const run = promisify(execFile);
const MAIN = fileURLToPath(new URL("./prepare-main.ts", import.meta.url));

describe("prepare step of the build Job", () => {
  let github: FakeGitHub;
  let token: string;
  let cloneUrl: string;
  let headSha: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    github = await startFakeGitHub();
    token = github.addUser({ login: "alice" }).token;
    const repo = await github.addRepo({
      owner: "alice",
      name: "shop",
      private: true,
      fromDir: samplePath("node-hello"),
    });
    cloneUrl = repo.cloneUrl;
    headSha = repo.headSha;
  });

  afterAll(async () => {
    await github?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function prepare(tokenText: string, extra: Record<string, string> = {}) {
    const dir = mkdtempSync(join(tmpdir(), "kli8nt-prepare-"));
    dirs.push(dir);
    writeFileSync(join(dir, "token"), tokenText);
    const workspace = join(dir, "workspace");
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      KLI8NT_REPO_URL: cloneUrl,
      KLI8NT_REPO_REF: "main",
      KLI8NT_REPO_COMMIT: "",
      KLI8NT_ROOT_DIR: "",
      KLI8NT_BASE_IMAGES: JSON.stringify({ node: "registry.test.invalid/node:20" }),
      KLI8NT_GIT_TOKEN_FILE: join(dir, "token"),
      KLI8NT_WORKSPACE: workspace,
      KLI8NT_TERMINATION_LOG: join(dir, "termination-log"),
      ...extra,
    };
    const result = await run(process.execPath, ["--import", "tsx", MAIN], { env, timeout: 60_000 }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    const message = readFileSync(join(dir, "termination-log"), "utf8");
    return { ...result, workspace, message };
  }

  it("clones with the token file and leaves context + Dockerfile where Kaniko reads them", async () => {
    const out = await prepare(token);
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.message)).toMatchObject({ provider: "node", commitSha: headSha });
    expect(readFileSync(join(out.workspace, "Dockerfile"), "utf8")).toMatch(
      /^FROM registry\.test\.invalid\/node:20/m,
    );
    expect(readFileSync(join(out.workspace, "context", "package.json"), "utf8")).toContain('"name"');
    expect(readFileSync(join(out.workspace, "context", ".dockerignore"), "utf8")).toContain("node_modules");
    expect(out.stdout + out.stderr + out.message).not.toContain(token);
  });

  it("bakes the registry and CA settings into ARG defaults: the values the local builder passes as --build-arg", async () => {
    const registry = { npmRegistry: "https://npm.corp.example/", caFile: BUILD_CA_PATH };
    const out = await prepare(token, {
      KLI8NT_NPM_REGISTRY: registry.npmRegistry,
      KLI8NT_BUILD_CA_PATH: BUILD_CA_PATH,
    });
    expect(out.code, out.stderr).toBe(0);
    const dockerfile = readFileSync(join(out.workspace, "Dockerfile"), "utf8");
    const args = Object.entries(registryBuildArgs(registry)).filter(([k]) => dockerfile.includes(`ARG ${k}`));
    expect(args.map(([k]) => k)).toEqual(
      expect.arrayContaining(["NPM_CONFIG_REGISTRY", "NPM_CONFIG_CAFILE"]),
    );
    for (const [k, v] of args) expect(dockerfile).toContain(`ARG ${k}=${v}\n`);
  });

  it("fails with the reason as its termination message when the repository refuses the clone", async () => {
    const out = await prepare("");
    expect(out.code).toBe(1);
    expect(out.message).toMatch(/^git clone failed: /);
    expect(out.message).not.toContain(token);
  });
});
