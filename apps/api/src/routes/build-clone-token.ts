import type { App } from "@kli8nt/core";
import { isKli8ntError } from "@kli8nt/core";
import type { GitHubDeps, GitHubLog } from "../github/github-deps.ts";
import { parseGitHubRepoUrl } from "../github/repo-url.ts";
import { clientFor, userAccessToken } from "../github/user-github.ts";

/** The owner cannot give a token until they sign in to GitHub again: the clone goes without one. */
const NO_TOKEN_CODES = new Set(["GITHUB_NOT_CONNECTED", "GITHUB_RECONNECT_REQUIRED"]);

/**
 * The token a cluster build clones `app`'s repository with: the owner's GitHub token (refreshed first when
 * it expires within five minutes), or null when the repository is not on the configured GitHub, the owner
 * has no usable GitHub account, or GitHub says the repository is public (a public build never holds a
 * token). Other failures (GitHub unreachable during a refresh) throw, so the caller retries.
 */
export async function buildCloneToken(
  deps: GitHubDeps & { readonly logger: GitHubLog },
  app: App,
): Promise<string | null> {
  const repo = parseGitHubRepoUrl(deps.config.github.webUrl, app.repository.url);
  if (!repo) return null;
  let token: string;
  try {
    token = await userAccessToken(deps, app.ownerId);
  } catch (error) {
    if (!isKli8ntError(error) || !NO_TOKEN_CODES.has(error.code)) throw error;
    // A private repository then fails to clone with git's own message, which the deployment shows.
    deps.logger.warn({ appId: app.id, code: error.code }, "No GitHub token for the clone");
    return null;
  }
  return (await isPublic(deps, token, repo)) ? null : token;
}

/** Whether GitHub shows the repository as public; unknown (an error) counts as private. */
async function isPublic(
  deps: GitHubDeps & { readonly logger: GitHubLog },
  token: string,
  repo: { owner: string; repo: string },
): Promise<boolean> {
  try {
    const { data } = await clientFor(deps, token).octokit.rest.repos.get(repo);
    return data.private === false;
  } catch (error) {
    const code = isKli8ntError(error) ? error.code : (error as { code?: unknown }).code;
    deps.logger.warn(
      { repository: `${repo.owner}/${repo.repo}`, code },
      "Failed to read repository visibility; treated as private",
    );
    return false;
  }
}
