import { findAppById } from "@kli8nt/db";
import type { GitHubDeps } from "../github/github-deps.ts";
import { parseGitHubRepoUrl } from "../github/repo-url.ts";
import { userAccessToken } from "../github/user-github.ts";

/**
 * The clone token for an app's repository: its owner's GitHub token (refreshed when about to expire) when
 * the repository is on the configured GitHub, else null (public or local repository). The token only ever
 * travels to the build controller in-process; the Kubernetes mode fetches it over an authenticated call.
 */
export function cloneCredentials(
  deps: GitHubDeps,
): (url: string, context?: { appId: string }) => Promise<string | null> {
  return async (url, context) => {
    const appId = context?.appId;
    if (!appId || !parseGitHubRepoUrl(deps.config.github.webUrl, url)) return null;
    const app = await findAppById(deps.db, appId);
    if (!app) return null;
    try {
      return await userAccessToken(deps, app.ownerId);
    } catch (error) {
      // Not connected (or must reconnect): try without a token; a private repository then fails to clone
      // with git's own message, which the deployment's reason shows.
      (deps.logger ?? { warn: () => undefined }).warn({ err: error, appId }, "No GitHub token for the clone");
      return null;
    }
  };
}
