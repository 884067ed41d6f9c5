import { ConflictError } from "@kli8nt/core";
import { createUser, findGitHubAccountByGitHubId, makeAdmin, type PendingSignIn } from "@kli8nt/db";
import { exchangeCode, type GitHubUser } from "@kli8nt/github";
import type { GitHubDeps } from "./github-deps.ts";
import { decideSignIn } from "./sign-in-policy.ts";
import { clientFor, storeTokens } from "./user-github.ts";

export const CALLBACK_PATH = "/auth/github/callback";

export const pkceContext = (bindingHash: string) => `github-pkce:${bindingHash}`;

export function redirectUri(deps: GitHubDeps): string {
  return `${deps.config.publicUrl}${CALLBACK_PATH}`;
}

/** The OAuth app settings, or null when GitHub sign-in is not configured. */
export function oauthApp(deps: GitHubDeps) {
  const { webUrl, clientId, clientSecret } = deps.config.github;
  return clientId && clientSecret ? { webUrl, clientId, clientSecret } : null;
}

/**
 * Which Kli8nt user a GitHub account signs in as: the one it is linked to, the signed-in user who is
 * connecting it, or a new user named after the GitHub login (suffixed when a local user has that name,
 * so a GitHub login never takes over an existing local account).
 */
async function resolveUser(deps: GitHubDeps, viewer: GitHubUser, linkUserId: string | null) {
  const linked = await findGitHubAccountByGitHubId(deps.db, viewer.id);
  if (linked) {
    if (linkUserId && linkUserId !== linked.userId) {
      throw new ConflictError(
        "GITHUB_ACCOUNT_LINKED_ELSEWHERE",
        `The GitHub account ${viewer.login} is already connected to another Kli8nt user`,
      );
    }
    return linked.userId;
  }
  if (linkUserId) return linkUserId;
  const profile = { name: viewer.name, avatarUrl: viewer.avatarUrl };
  try {
    return (await createUser(deps.db, { login: viewer.login, ...profile })).id;
  } catch (err) {
    deps.logger?.info({ err, login: viewer.login }, "GitHub login taken by a local user; using a suffix");
    return (await createUser(deps.db, { login: `${viewer.login}-gh${viewer.id}`, ...profile })).id;
  }
}

/** Trades the code (with the PKCE verifier kept server-side) for tokens, and links the account. */
export async function completeSignIn(
  deps: GitHubDeps,
  pending: PendingSignIn,
  code: string,
): Promise<{ userId: string; login: string }> {
  const app = oauthApp(deps);
  if (!app) throw new Error("GitHub sign-in is not configured");
  const codeVerifier = deps.box.decrypt(pending.codeVerifierEnc, pkceContext(pending.bindingHash));
  const tokens = await exchangeCode(app, { code, codeVerifier, redirectUri: redirectUri(deps) });
  const viewer = await clientFor(deps, tokens.accessToken).getViewer();
  // Before any user or token is stored: a refused account leaves nothing behind but its request.
  const decision = await decideSignIn(deps, viewer, tokens.accessToken, pending.linkUserId);
  const userId = await resolveUser(deps, viewer, pending.linkUserId);
  if (decision.firstUser) await makeAdmin(deps.db, userId);
  await storeTokens(deps, userId, { githubId: viewer.id, login: viewer.login }, tokens);
  return { userId, login: viewer.login };
}
