import { InputError, isKli8ntError } from "@kli8nt/core";
import type { GitHubDeps } from "../github/github-deps.ts";
import { gitRemoteUrl, repositoryGitEnv } from "./repository-access.ts";
import { GIT_FAILED, runGit } from "./run-git.ts";

const LS_REMOTE_TIMEOUT_MS = 30_000;
const SYMREF_HEAD = /^ref: refs\/heads\/(\S+)\tHEAD$/m;
const HEAD_COMMIT = /^[0-9a-f]{40,64}\tHEAD$/m;

const issue = (message: string) => ({ issues: [{ path: "body.repository.branch", message }] });

/**
 * The repository's own default branch (where its HEAD points), read with `git ls-remote --symref` and the
 * user's clone credentials: what a clone without `--branch` would check out, for GitHub and any other
 * host alike. An unreachable or empty repository is an InputError that says to pass a branch.
 */
export async function resolveDefaultBranch(deps: GitHubDeps, userId: string, url: string): Promise<string> {
  const env = await repositoryGitEnv(deps, userId, url);
  let out: string;
  try {
    out = await runGit(["ls-remote", "--symref", "--", gitRemoteUrl(url), "HEAD"], {
      env,
      timeoutMs: LS_REMOTE_TIMEOUT_MS,
    });
  } catch (error) {
    if (!isKli8ntError(error) || error.code !== GIT_FAILED) throw error;
    const message = `The repository could not be read to find its default branch (git: ${error.message}); check the URL and your access, or give a branch`;
    throw new InputError("REPOSITORY_UNREACHABLE", message, { cause: error, ...issue(message) });
  }
  const branch = SYMREF_HEAD.exec(out)?.[1];
  if (!branch || !HEAD_COMMIT.test(out)) {
    const message = "The repository has no commits on a default branch yet; push one or give a branch";
    throw new InputError("REPOSITORY_EMPTY", message, issue(message));
  }
  return branch;
}
