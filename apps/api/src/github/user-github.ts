import {
  type GitHubAccountRow,
  getGitHubAccount,
  markGitHubTokenInvalid,
  saveGitHubAccount,
} from "@kli8nt/db";
import {
  createGitHubClient,
  type GitHubClient,
  isGitHubError,
  needsRefresh,
  refreshAccessToken,
  type TokenSet,
} from "@kli8nt/github";
import type { ApiConfig } from "../config.ts";
import { notConnected, reconnectRequired, toApiError } from "./api-errors.ts";
import type { GitHubDeps } from "./github-deps.ts";

/** SecretBox contexts: a token sealed for one user (or one purpose) does not open anywhere else. */
export const accessContext = (userId: string) => `github-access:${userId}`;
export const refreshContext = (userId: string) => `github-refresh:${userId}`;

/** Encrypts a fresh token set and stores it as the user's GitHub account. */
export async function storeTokens(
  deps: GitHubDeps,
  userId: string,
  account: { githubId: number; login: string },
  tokens: TokenSet,
): Promise<void> {
  await saveGitHubAccount(deps.db, {
    userId,
    githubId: account.githubId,
    login: account.login,
    scopes: tokens.scopes,
    accessTokenEnc: deps.box.encrypt(tokens.accessToken, accessContext(userId)),
    refreshTokenEnc: tokens.refreshToken
      ? deps.box.encrypt(tokens.refreshToken, refreshContext(userId))
      : null,
    tokenExpiresAt: tokens.expiresAt ?? null,
  });
}

// Refresh tokens are single use: concurrent requests of one user share one refresh instead of racing.
const refreshing = new Map<string, Promise<string>>();

async function refreshToken(deps: GitHubDeps, account: GitHubAccountRow, github: ApiConfig["github"]) {
  if (!account.refreshTokenEnc || !github.clientId || !github.clientSecret) {
    await markGitHubTokenInvalid(deps.db, account.userId);
    throw reconnectRequired();
  }
  const refresh = deps.box.decrypt(account.refreshTokenEnc, refreshContext(account.userId));
  try {
    const app = { webUrl: github.webUrl, clientId: github.clientId, clientSecret: github.clientSecret };
    const tokens = await refreshAccessToken(app, refresh);
    await storeTokens(deps, account.userId, account, tokens);
    deps.logger?.info({ userId: account.userId }, "Refreshed GitHub token");
    return tokens.accessToken;
  } catch (err) {
    if (isGitHubError(err, "GITHUB_OAUTH_REJECTED")) {
      await markGitHubTokenInvalid(deps.db, account.userId);
      throw reconnectRequired(err);
    }
    throw toApiError(err);
  }
}

/** The user's usable access token, refreshed first when it expires within five minutes. */
export async function userAccessToken(deps: GitHubDeps, userId: string): Promise<string> {
  const account = await getGitHubAccount(deps.db, userId);
  if (!account) throw notConnected();
  if (!account.tokenValid) throw reconnectRequired();
  const expiresAt = account.tokenExpiresAt ?? undefined;
  if (!needsRefresh(expiresAt ? { expiresAt } : {})) {
    return deps.box.decrypt(account.accessTokenEnc, accessContext(userId));
  }
  let pending = refreshing.get(userId);
  if (!pending) {
    pending = refreshToken(deps, account, deps.config.github).finally(() => refreshing.delete(userId));
    refreshing.set(userId, pending);
  }
  return pending;
}

export function clientFor(deps: GitHubDeps, token: string): GitHubClient {
  return createGitHubClient({ apiUrl: deps.config.github.apiUrl, token });
}

/**
 * Runs `fn` with a GitHub client acting as the user. A 401 from GitHub marks the token invalid, so the UI
 * shows "reconnect GitHub" (GITHUB_RECONNECT_REQUIRED) from then on; other failures become Kli8nt errors.
 */
export async function withUserGitHub<T>(
  deps: GitHubDeps,
  userId: string,
  fn: (github: GitHubClient) => Promise<T>,
): Promise<T> {
  const client = clientFor(deps, await userAccessToken(deps, userId));
  try {
    return await fn(client);
  } catch (err) {
    if (isGitHubError(err, "GITHUB_UNAUTHORIZED")) {
      await markGitHubTokenInvalid(deps.db, userId);
      deps.logger?.warn({ userId }, "GitHub refused the user's token; marked for reconnect");
    }
    throw toApiError(err);
  }
}
