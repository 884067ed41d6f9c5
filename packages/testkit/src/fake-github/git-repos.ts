import { execFile } from "node:child_process";
import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export const ZERO_SHA = "0000000000000000000000000000000000000000";

/** Files to write, path → content; `null` deletes the path. */
export type FileChanges = Record<string, string | null>;

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authorDate: string;
  committerName: string;
  committerEmail: string;
  committerDate: string;
  message: string;
}

/**
 * Environment for every git command the fake runs: no user or system config leaks in, and commits are
 * made by a fixed identity so tests are reproducible.
 */
export function isolatedGitEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "Fake GitHub",
    GIT_AUTHOR_EMAIL: "noreply@fake-github.test",
    GIT_COMMITTER_NAME: "Fake GitHub",
    GIT_COMMITTER_EMAIL: "noreply@fake-github.test",
    ...extra,
  };
}

export async function runGit(
  home: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const { stdout } = await execFileAsync("git", args, {
    env: isolatedGitEnv(home, extraEnv),
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** Refs from HTTP callers reach git's argv: refuse anything that could be read as an option. */
export function isSafeRef(ref: string): boolean {
  return ref.length > 0 && ref.length < 256 && !ref.startsWith("-") && !/[\s\0:~^?*[\\]/.test(ref);
}

async function applyChanges(workDir: string, changes: FileChanges): Promise<void> {
  for (const [path, content] of Object.entries(changes)) {
    const target = join(workDir, path);
    if (relative(workDir, target).startsWith(`..${sep}`)) throw new Error(`path escapes the repo: ${path}`);
    if (content === null) {
      await rm(target, { force: true, recursive: true });
    } else {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
  }
}

export interface CreateRepoFiles {
  defaultBranch: string;
  files?: Record<string, string>;
  fromDir?: string;
  branches?: Record<string, FileChanges>;
}

/** Creates the working tree and the bare repository that git http-backend serves. */
export async function createGitRepo(home: string, workDir: string, gitDir: string, spec: CreateRepoFiles) {
  await mkdir(workDir, { recursive: true });
  await runGit(home, ["init", "-q", "-b", spec.defaultBranch, workDir]);
  if (spec.fromDir) {
    await cp(spec.fromDir, workDir, {
      recursive: true,
      filter: (src) => !/[/\\](\.git|node_modules)([/\\]|$)/.test(relative(spec.fromDir ?? "", src) || "x"),
    });
  }
  const files = spec.files ?? (spec.fromDir ? {} : { "README.md": "# fake repository\n" });
  await applyChanges(workDir, files);
  await runGit(home, ["-C", workDir, "add", "-A"]);
  await runGit(home, ["-C", workDir, "commit", "-q", "--allow-empty", "-m", "Initial commit"]);
  for (const [branch, changes] of Object.entries(spec.branches ?? {})) {
    await runGit(home, ["-C", workDir, "checkout", "-q", "-b", branch, spec.defaultBranch]);
    await applyChanges(workDir, changes);
    await runGit(home, ["-C", workDir, "add", "-A"]);
    await runGit(home, ["-C", workDir, "commit", "-q", "--allow-empty", "-m", `Start ${branch}`]);
    await runGit(home, ["-C", workDir, "checkout", "-q", spec.defaultBranch]);
  }
  await mkdir(gitDir, { recursive: true });
  await runGit(home, ["init", "-q", "--bare", "-b", spec.defaultBranch, gitDir]);
  // GitHub lets clients fetch any reachable commit by id; builds fetch exactly the deployed sha.
  await runGit(home, ["-C", gitDir, "config", "uploadpack.allowReachableSHA1InWant", "true"]);
  await runGit(home, ["-C", workDir, "push", "-q", gitDir, "refs/heads/*:refs/heads/*"]);
}

/** Commits `changes` on `branch` (created from the default branch when new) and pushes it to the bare repo. */
export async function commitAndPush(
  home: string,
  workDir: string,
  gitDir: string,
  opts: { branch: string; fromBranch: string; changes: FileChanges; message: string },
): Promise<{ before: string; after: string; created: boolean }> {
  const before = await resolveCommit(home, gitDir, opts.branch);
  if (before) {
    await runGit(home, ["-C", workDir, "checkout", "-q", "-B", opts.branch, before]);
  } else {
    await runGit(home, ["-C", workDir, "checkout", "-q", "-B", opts.branch, opts.fromBranch]);
  }
  await applyChanges(workDir, opts.changes);
  await runGit(home, ["-C", workDir, "add", "-A"]);
  await runGit(home, ["-C", workDir, "commit", "-q", "--allow-empty", "-m", opts.message]);
  await runGit(home, ["-C", workDir, "push", "-q", gitDir, `HEAD:refs/heads/${opts.branch}`]);
  const after = await resolveCommit(home, gitDir, opts.branch);
  if (!after) throw new Error(`push to ${opts.branch} left no commit`);
  return { before: before ?? ZERO_SHA, after, created: before === undefined };
}

/** Resolves a branch, tag or (abbreviated) sha to a full commit id, or undefined. */
export async function resolveCommit(home: string, gitDir: string, ref: string): Promise<string | undefined> {
  if (!isSafeRef(ref)) return undefined;
  try {
    const out = await runGit(home, ["-C", gitDir, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function commitInfo(home: string, gitDir: string, sha: string): Promise<CommitInfo> {
  const format = ["%H", "%T", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"].join("%x00");
  const out = await runGit(home, ["-C", gitDir, "log", "-1", `--format=${format}`, sha]);
  const [s = "", tree = "", parents = "", an = "", ae = "", ad = "", cn = "", ce = "", cd = "", ...msg] =
    out.split("\0");
  return {
    sha: s,
    tree,
    parents: parents.split(" ").filter(Boolean),
    authorName: an,
    authorEmail: ae,
    authorDate: ad,
    committerName: cn,
    committerEmail: ce,
    committerDate: cd,
    message: msg.join("\0").trimEnd(),
  };
}

export async function listBranches(
  home: string,
  gitDir: string,
): Promise<Array<{ name: string; sha: string }>> {
  const out = await runGit(home, [
    "-C",
    gitDir,
    "for-each-ref",
    "--sort=refname",
    "--format=%(refname:short) %(objectname)",
    "refs/heads",
  ]);
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name = "", sha = ""] = line.split(" ");
      return { name, sha };
    });
}

/** Added/removed/modified paths between two commits, for push payloads. */
export async function changedPaths(home: string, gitDir: string, before: string, after: string) {
  const result = { added: [] as string[], removed: [] as string[], modified: [] as string[] };
  if (before === ZERO_SHA) return result;
  const out = await runGit(home, [
    "-C",
    gitDir,
    "diff-tree",
    "--no-commit-id",
    "--name-status",
    "-r",
    before,
    after,
  ]);
  for (const line of out.split("\n").filter(Boolean)) {
    const [status = "", path = ""] = line.split("\t");
    if (status.startsWith("A")) result.added.push(path);
    else if (status.startsWith("D")) result.removed.push(path);
    else result.modified.push(path);
  }
  return result;
}
