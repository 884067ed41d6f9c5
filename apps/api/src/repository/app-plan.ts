import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { type BuildPlan, detect, detectOptionsFromSettings } from "@kli8nt/buildplan";
import { type App, isKli8ntError, TerminalError, UnavailableError } from "@kli8nt/core";
import type { GitHubDeps } from "../github/github-deps.ts";
import { PlanCache } from "./plan-cache.ts";
import { gitRemoteUrl, repositoryGitEnv } from "./repository-access.ts";
import { GIT_FAILED, runGit } from "./run-git.ts";

const GIT_TIMEOUT_MS = 60_000;

/** The plan of an app's branch head, with the commit it was detected on. */
export interface AppPlan {
  readonly plan: BuildPlan;
  readonly commitSha: string;
  readonly branch: string;
}

export type AppPlanner = (userId: string, app: App) => Promise<AppPlan>;

/**
 * Plans an app as its next build would: the head of its branch, cloned shallowly with the owner's
 * credentials into a throwaway directory, detected in its root directory with its settings. Plans are cached
 * per commit, root directory and settings (a commit's tree never changes), so a page view costs one
 * `ls-remote` once the commit is known.
 */
export function createAppPlanner(deps: GitHubDeps, options: { cacheSize?: number } = {}): AppPlanner {
  const cache = new PlanCache<BuildPlan>(options.cacheSize ?? 200);
  return async (userId, app) => {
    const env = await repositoryGitEnv(deps, userId, app.repository.url);
    const { branch, rootDir } = app.repository;
    const commitSha = await headOf(app.repository.url, branch, env);
    const key = JSON.stringify([app.repository.url, commitSha, rootDir, app.buildSettings]);
    const cached = cache.get(key);
    if (cached) return { plan: cached, commitSha, branch };
    const plan = await planAt(app, commitSha, env);
    cache.set(key, plan);
    return { plan, commitSha, branch };
  };
}

async function headOf(url: string, branch: string, env: Record<string, string>): Promise<string> {
  const out = await git(["ls-remote", "--", gitRemoteUrl(url), `refs/heads/${branch}`], env);
  const sha = /^([0-9a-f]{40,64})\trefs\/heads\//m.exec(out)?.[1];
  if (!sha) {
    throw new TerminalError("BRANCH_NOT_FOUND", `The repository has no branch "${branch}"`, {
      details: { branch },
    });
  }
  return sha;
}

async function planAt(app: App, commitSha: string, env: Record<string, string>): Promise<BuildPlan> {
  const dir = await mkdtemp(join(tmpdir(), "kli8nt-plan-"));
  try {
    await git(["init", "--quiet", dir], env);
    await git(
      ["fetch", "--quiet", "--no-tags", "--depth", "1", gitRemoteUrl(app.repository.url), commitSha],
      env,
      dir,
    );
    await git(["checkout", "--quiet", "--detach", "FETCH_HEAD"], env, dir);
    const root = await containedRoot(dir, app.repository.rootDir);
    try {
      return await detect(root, detectOptionsFromSettings(app.buildSettings));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const message = error instanceof Error ? error.message : String(error);
      const details = (error as { details?: Record<string, unknown> }).details ?? {};
      throw new TerminalError(typeof code === "string" ? code : "PLAN_FAILED", message, {
        cause: error,
        details,
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The root directory, by its real path, refused when a symlink takes it out of the checkout. */
async function containedRoot(checkout: string, rootDir: string): Promise<string> {
  const base = await realpath(checkout);
  const root = await realpath(join(base, rootDir)).catch(() => null);
  if (root === null || (root !== base && !root.startsWith(base + sep))) {
    throw new TerminalError("ROOT_DIR_NOT_FOUND", `The root directory "${rootDir}" is not in the repository`);
  }
  return root;
}

async function git(args: string[], env: Record<string, string>, cwd?: string): Promise<string> {
  try {
    return await runGit(args, { env, timeoutMs: GIT_TIMEOUT_MS, ...(cwd ? { cwd } : {}) });
  } catch (error) {
    if (!isKli8ntError(error) || error.code !== GIT_FAILED) throw error;
    throw new UnavailableError(
      "REPOSITORY_UNREACHABLE",
      `The repository could not be read (git: ${error.message})`,
      {
        cause: error,
      },
    );
  }
}
