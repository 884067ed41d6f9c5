import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { BUILD_CA_PATH, registryBuildArgs } from "@kli8nt/buildplan";
import {
  type FakeGitHub,
  makeTestCertificates,
  samplePath,
  startFakeGitHub,
  startTlsProxy,
  type TestCertificates,
} from "@kli8nt/testkit";
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
  let testCa: TestCertificates;
  let proxy: Server;
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
    const caDir = mkdtempSync(join(tmpdir(), "kli8nt-prepare-ca-"));
    dirs.push(caDir);
    testCa = await makeTestCertificates(caDir, "127.0.0.1");
    proxy = await startTlsProxy(github.url, testCa);
  });

  afterAll(async () => {
    proxy?.close();
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
    // Where RUN steps find the CA: rendered as it is, whether or not this process could read it there.
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

  it("clones over HTTPS from a server only the build CA vouches for, and not without it (ADR 0125)", async () => {
    const https = cloneUrl.replace(github.url, `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
    const trusted = await prepare(token, { KLI8NT_REPO_URL: https, KLI8NT_CLONE_CA_FILE: testCa.ca });
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(JSON.parse(trusted.message)).toMatchObject({ provider: "node", commitSha: headSha });
    // The bundle git used is the system's plus the build CA, outside the build context.
    const bundle = readFileSync(join(trusted.workspace, "git-ca-bundle.crt"), "utf8");
    expect(bundle.trimEnd().endsWith(readFileSync(testCa.ca, "utf8").trim())).toBe(true);
    expect(readFileSync(join(trusted.workspace, "context", "package.json"), "utf8")).toContain('"name"');

    const untrusted = await prepare(token, { KLI8NT_REPO_URL: https });
    expect(untrusted.code).toBe(1);
    expect(untrusted.message).toMatch(/^git clone failed: .*certificate/i);
    expect(untrusted.message).not.toContain(token);
  });

  it("names a CA file that is not a certificate instead of cloning without it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kli8nt-prepare-badca-"));
    dirs.push(dir);
    writeFileSync(join(dir, "ca.crt"), "not a certificate\n");
    const out = await prepare(token, { KLI8NT_CLONE_CA_FILE: join(dir, "ca.crt") });
    expect(out.code).toBe(1);
    expect(out.message).toBe(`The build CA bundle ${join(dir, "ca.crt")} holds no PEM certificate`);
  });
});
