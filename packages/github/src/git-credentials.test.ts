import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type FakeGitHub, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitAuthEnv, gitCloneCommand } from "./git-credentials.ts";

const execFileAsync = promisify(execFile);

/** Command lines of every process on the machine, read while a clone is talking to the fake. */
async function allCommandLines(): Promise<string[]> {
  const lines: string[] = [];
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    try {
      lines.push((await readFile(`/proc/${pid}/cmdline`, "utf8")).replaceAll("\0", " "));
    } catch {
      // The process ended between readdir and readFile.
    }
  }
  return lines;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    if ((await stat(path)).isFile()) out.push(path);
  }
  return out;
}

describe("cloning private repos with the user's token (real git against the fake GitHub)", () => {
  let gh: FakeGitHub;
  let token: string;
  let cloneUrl: string;
  let work: string;
  const seenDuringClone: string[][] = [];

  beforeAll(async () => {
    gh = await startFakeGitHub({
      onGitRequest: async () => {
        seenDuringClone.push(await allCommandLines());
      },
    });
    token = gh.addUser({ login: "ivy" }).token;
    cloneUrl = (
      await gh.addRepo({
        owner: "ivy",
        name: "private-app",
        private: true,
        fromDir: samplePath("node-hello"),
      })
    ).cloneUrl;
    work = await mkdtemp(join(tmpdir(), "kli8nt-clone-test-"));
  });
  afterAll(async () => {
    await gh.stop();
    await rm(work, { recursive: true, force: true });
  });

  const runGit = (cmd: { args: string[]; env: Record<string, string> }) =>
    execFileAsync("git", cmd.args, { env: { PATH: process.env.PATH ?? "/usr/bin", HOME: work, ...cmd.env } });

  it("clones with the token, which stays out of argv, the URL and the clone's .git", async () => {
    const dest = join(work, "with-token");
    const cmd = gitCloneCommand({ cloneUrl, token, dest, branch: "main" });
    expect(cmd.args.join(" ")).not.toContain(token);
    await runGit(cmd);
    expect(await readFile(join(dest, "server.js"), "utf8")).toContain("node-hello");

    // The fake sampled every process's argv while git was fetching: git was seen, the token never.
    const snapshots = seenDuringClone.flat();
    expect(snapshots.some((line) => line.includes("private-app"))).toBe(true);
    expect(snapshots.filter((line) => line.includes(token))).toEqual([]);

    const gitFiles = await filesUnder(join(dest, ".git"));
    expect(gitFiles.length).toBeGreaterThan(5);
    for (const file of gitFiles) {
      expect((await readFile(file)).includes(token), file).toBe(false);
    }
    const config = await readFile(join(dest, ".git", "config"), "utf8");
    expect(config).toContain(cloneUrl);
    expect(config.toLowerCase()).not.toContain("extraheader");
  });

  it("fails without a token, with a revoked token, and never prompts", async () => {
    await expect(runGit(gitCloneCommand({ cloneUrl, dest: join(work, "anonymous") }))).rejects.toThrow(
      /terminal prompts disabled|Authentication/,
    );
    const revoked = gh.issueToken("ivy");
    gh.revokeToken(revoked);
    await expect(
      runGit(gitCloneCommand({ cloneUrl, token: revoked, dest: join(work, "revoked") })),
    ).rejects.toThrow(/terminal prompts disabled|401|Authentication/);
  });

  it("keeps GIT_CONFIG_* entries already present and refuses URLs with credentials", () => {
    const env = gitAuthEnv(cloneUrl, token, { GIT_CONFIG_COUNT: "2" });
    expect(env.GIT_CONFIG_COUNT).toBe("3");
    expect(env).toHaveProperty("GIT_CONFIG_KEY_2", `http.${new URL(cloneUrl).origin}/.extraHeader`);
    const withUser = cloneUrl.replace("http://", "http://x-access-token:abc@");
    expect(() => gitCloneCommand({ cloneUrl: withUser, token, dest: "x" })).toThrow(/credentials/);
    expect(() => gitCloneCommand({ cloneUrl: "file:///etc", token, dest: "x" })).toThrow(/http/);
  });
});
