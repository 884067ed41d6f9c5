import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeGitHub, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalRepo } from "./testing/local-repo.ts";
import { checkoutRepository, type Workspace } from "./workspace.ts";

// Deploying a commit: `ref` may be a full or short SHA, which `git clone --branch` refuses. Real git, over
// the fake GitHub's smart HTTP (private repository, token as a header) and over file://.
let gh: FakeGitHub;
let token: string;
const workRoot = mkdtempSync(join(tmpdir(), "kli8nt-commit-ref-"));
const opened: Workspace[] = [];

beforeAll(async () => {
  gh = await startFakeGitHub();
  token = gh.addUser({ login: "octo" }).token;
});
afterAll(async () => {
  await Promise.all(opened.map((w) => w.remove()));
  await gh.stop();
});

async function checkout(url: string, ref: string, options: { local?: boolean } = {}): Promise<Workspace> {
  const workspace = await checkoutRepository(
    { url, ref, commitSha: null },
    {
      workRoot,
      allowLocalRepos: options.local ?? false,
      timeoutMs: 60_000,
      credentials: async () => token,
    },
  );
  opened.push(workspace);
  return workspace;
}

describe("checkoutRepository with a commit as the ref", () => {
  it("checks out an older commit of a private GitHub repository by full and by short SHA", async () => {
    const repo = await gh.addRepo({ owner: "octo", name: "shop", private: true, files: { "v.txt": "one" } });
    const first = repo.headSha;
    await gh.push("octo/shop", { files: { "v.txt": "two" } });

    const full = await checkout(repo.cloneUrl, first);
    expect(full.commitSha).toBe(first);
    expect(readFileSync(join(full.dir, "v.txt"), "utf8")).toBe("one");

    const short = await checkout(repo.cloneUrl, first.slice(0, 8));
    expect(short.commitSha).toBe(first);
    expect(readFileSync(join(short.dir, "v.txt"), "utf8")).toBe("one");
  });

  it("still checks out a branch, and a branch whose name looks like a SHA", async () => {
    const repo = await gh.addRepo({
      owner: "octo",
      name: "hexy",
      files: { "v.txt": "main" },
      branches: { cafebabe: { "v.txt": "hex branch" } },
    });
    expect(readFileSync(join((await checkout(repo.cloneUrl, "main")).dir, "v.txt"), "utf8")).toBe("main");
    const hex = await checkout(repo.cloneUrl, "cafebabe");
    expect(readFileSync(join(hex.dir, "v.txt"), "utf8")).toBe("hex branch");
  });

  it("works for a local repository over file://", async () => {
    const local = createLocalRepo({ "v.txt": "one" });
    const first = local.head;
    local.commit({ "v.txt": "two" });
    const short = await checkout(local.dir, first.slice(0, 7), { local: true });
    expect(short.commitSha).toBe(first);
    expect(readFileSync(join(short.dir, "v.txt"), "utf8")).toBe("one");
  });

  it("fails with REPO_CLONE_FAILED for a commit the repository does not have", async () => {
    const repo = await gh.addRepo({ owner: "octo", name: "none", files: { "v.txt": "x" } });
    await expect(checkout(repo.cloneUrl, "0123456789ab")).rejects.toMatchObject({
      code: "REPO_CLONE_FAILED",
    });
    await expect(checkout(repo.cloneUrl, "0".repeat(40))).rejects.toMatchObject({
      code: "REPO_CLONE_FAILED",
    });
  });
});
