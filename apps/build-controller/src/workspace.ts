import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { gitAuthEnv } from "@kli8nt/github";
import { BuildError } from "./errors.ts";
import { runCommand } from "./run-command.ts";

export interface RepositoryRef {
  readonly url: string;
  readonly ref: string;
  readonly commitSha: string | null;
}

/** Returns a token for an app's clone URL (its owner's GitHub token), or null for a public repository. */
export type CloneCredentials = (url: string, context?: { appId: string }) => Promise<string | null>;

export interface CheckoutOptions {
  /** Whose credentials to ask for. */
  readonly appId?: string | undefined;
  readonly workRoot: string;
  readonly allowLocalRepos: boolean;
  readonly timeoutMs: number;
  readonly credentials?: CloneCredentials | undefined;
  /** The CA file git trusts for https (GIT_SSL_CAINFO); unset, the system's. */
  readonly caBundleFile?: string | undefined;
  readonly onLine?: (stream: "stdout" | "stderr", line: string) => void;
}

export interface Workspace {
  /** The checked-out tree (the build context before rootDir). */
  readonly dir: string;
  /** Scratch space next to the tree, outside the build context (rendered Dockerfile, iid file). */
  readonly scratch: string;
  readonly commitSha: string;
  /** Removes everything; safe to call twice. */
  remove(): Promise<void>;
}

const SHA = /^[0-9a-f]{40}$/;
/** A ref that can only be (or most likely is) a commit: 7 to 40 hex digits, full or abbreviated. */
const COMMIT_REF = /^[0-9a-f]{7,40}$/;

type Git = (args: string[], cwd?: string) => Promise<string>;

/**
 * Checks out a commit named by a full or short SHA, which `git clone --branch` refuses. A full SHA (or a
 * branch that happens to be hex) is fetched alone and shallowly; the server cannot expand a short SHA, so
 * that falls back to fetching every branch and tag and resolving it locally.
 */
async function fetchCommit(
  git: Git,
  at: { dir: string; url: string; ref: string; depth: string[] },
): Promise<void> {
  await git(["init", "--quiet", at.dir]);
  await git(["remote", "add", "origin", at.url], at.dir);
  try {
    await git(["fetch", "--quiet", "--no-tags", ...at.depth, "origin", at.ref], at.dir);
    await git(["checkout", "--quiet", "--detach", "FETCH_HEAD"], at.dir);
    return;
  } catch (error) {
    if (SHA.test(at.ref)) throw error;
  }
  await git(
    ["fetch", "--quiet", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"],
    at.dir,
  );
  let sha: string;
  try {
    sha = await git(["rev-parse", "--verify", "--quiet", `${at.ref}^{commit}`], at.dir);
  } catch (cause) {
    throw new BuildError("REPO_CLONE_FAILED", `No commit or branch "${at.ref}" in the repository`, { cause });
  }
  await git(["checkout", "--quiet", "--detach", sha], at.dir);
}

/** Rejects URLs we never clone: credentials in the URL, other schemes, local paths unless allowed. */
export function cloneSource(url: string, allowLocal: boolean): { url: string; local: boolean } {
  if (isAbsolute(url) || url.startsWith("file://")) {
    if (!allowLocal) {
      throw new BuildError(
        "REPO_NOT_ALLOWED",
        "Local repositories are disabled; set KLI8NT_ALLOW_LOCAL_REPOS=true on a single machine",
      );
    }
    return { url, local: true };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new BuildError("REPO_NOT_ALLOWED", "The repository URL is not a valid URL", { cause });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new BuildError("REPO_NOT_ALLOWED", `Repositories are cloned over http(s), not ${parsed.protocol}`);
  }
  if (parsed.username || parsed.password) {
    throw new BuildError("REPO_NOT_ALLOWED", "The repository URL must not carry credentials");
  }
  return { url, local: false };
}

/**
 * Shallow-clones `ref` (and, when given, checks out exactly `commitSha`) into a fresh directory. The token,
 * if any, reaches git through environment config as an HTTP header: never in the URL, argv or a log line.
 */
export async function checkoutRepository(repo: RepositoryRef, options: CheckoutOptions): Promise<Workspace> {
  const source = cloneSource(repo.url, options.allowLocalRepos);
  await mkdir(options.workRoot, { recursive: true });
  const root = await mkdtemp(join(options.workRoot, "build-"));
  const remove = () => rm(root, { recursive: true, force: true });
  try {
    const dir = join(root, "src");
    const env = await cloneEnv(repo.url, source.local, options);
    const git = (args: string[], cwd?: string) => runGit(args, env, options, cwd);
    const depth = source.local ? [] : ["--depth", "1"];
    // file:// makes --depth work for local paths too; a plain path would ignore it with a warning.
    const url = source.local && !repo.url.startsWith("file://") ? `file://${repo.url}` : repo.url;
    if (COMMIT_REF.test(repo.ref)) {
      await fetchCommit(git, { dir, url, ref: repo.ref, depth });
    } else {
      await git([
        "clone",
        "--quiet",
        "--no-tags",
        "--single-branch",
        ...depth,
        "--branch",
        repo.ref,
        "--",
        url,
        dir,
      ]);
    }
    if (repo.commitSha && SHA.test(repo.commitSha)) {
      const head = await git(["rev-parse", "HEAD"], dir);
      if (head !== repo.commitSha) {
        await git(["fetch", "--quiet", ...depth, "origin", repo.commitSha], dir);
        await git(["checkout", "--quiet", "--detach", repo.commitSha], dir);
      }
    }
    const commitSha = await git(["rev-parse", "HEAD"], dir);
    return { dir, scratch: root, commitSha, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** git's environment: the token (if any) as an HTTP header through environment config, never prompting. */
async function cloneEnv(
  url: string,
  local: boolean,
  options: CheckoutOptions,
): Promise<Record<string, string>> {
  const context = options.appId ? { appId: options.appId } : undefined;
  const token = local ? null : ((await options.credentials?.(url, context)) ?? null);
  const env: Record<string, string> = token ? gitAuthEnv(url, token) : { GIT_TERMINAL_PROMPT: "0" };
  if (options.caBundleFile) env.GIT_SSL_CAINFO = options.caBundleFile;
  return env;
}

async function runGit(
  args: string[],
  env: Record<string, string>,
  options: CheckoutOptions,
  cwd?: string,
): Promise<string> {
  let last = "";
  const result = await runCommand("git", args, {
    ...(cwd ? { cwd } : {}),
    env,
    timeoutMs: options.timeoutMs,
    onLine: (stream, line) => {
      if (stream === "stdout") last = line.trim();
      else options.onLine?.(stream, line);
    },
  });
  if (result.code === 0) return last;
  const why = result.timedOut ? "timed out" : (result.tail.at(-1) ?? `exit code ${String(result.code)}`);
  throw new BuildError("REPO_CLONE_FAILED", `git ${args[0]} failed: ${why}`);
}
