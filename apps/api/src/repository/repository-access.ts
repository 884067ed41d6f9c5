import { isKli8ntError } from "@kli8nt/core";
import { gitAuthEnv } from "@kli8nt/github";
import type { GitHubDeps } from "../github/github-deps.ts";
import { parseGitHubRepoUrl } from "../github/repo-url.ts";
import { userAccessToken } from "../github/user-github.ts";

/** The owner cannot give a token until they sign in to GitHub again: git goes without one. */
const NO_TOKEN_CODES = new Set(["GITHUB_NOT_CONNECTED", "GITHUB_RECONNECT_REQUIRED"]);

/**
 * git's environment for reading `url` as `userId`: the user's GitHub token as an HTTP header scoped to the
 * GitHub origin (ADR 0041) when the repository is on the configured GitHub and the user has a usable token;
 * no credentials otherwise (a public or local repository). A failed token refresh throws.
 */
export async function repositoryGitEnv(
  deps: GitHubDeps,
  userId: string,
  url: string,
): Promise<Record<string, string>> {
  if (!parseGitHubRepoUrl(deps.config.github.webUrl, url)) return {};
  try {
    return gitAuthEnv(url, await userAccessToken(deps, userId));
  } catch (error) {
    if (isKli8ntError(error) && NO_TOKEN_CODES.has(error.code)) return {};
    throw error;
  }
}

/** What git is given as the remote: local paths through file://, like the build's clone. */
export function gitRemoteUrl(url: string): string {
  return url.startsWith("/") ? `file://${url}` : url;
}
