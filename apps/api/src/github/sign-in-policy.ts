import { NotAllowedError } from "@kli8nt/core";
import {
  anyGitHubAccount,
  findGitHubAccountByGitHubId,
  isSignInApproved,
  requestSignInApproval,
} from "@kli8nt/db";
import type { GitHubUser } from "@kli8nt/github";
import type { GitHubDeps } from "./github-deps.ts";
import { isOrgMember } from "./org-membership.ts";

export interface SignInDecision {
  readonly allowed: boolean;
  /** Why, for the log and for the person refused; never a token. */
  readonly reason: string;
  /** The first GitHub user of an install without allow-lists: made an administrator, to approve others. */
  readonly firstUser?: true;
}

async function memberOfAny(deps: GitHubDeps, token: string, login: string): Promise<string | null> {
  for (const org of deps.config.github.allowedOrgs) {
    if (await isOrgMember(deps.config.github.apiUrl, token, org, login)) return org;
  }
  return null;
}

/** With KLI8NT_GITHUB_ALLOWED_USERS / _ORGS set: listed users, members of listed orgs, approved logins. */
async function decideByList(deps: GitHubDeps, viewer: GitHubUser, token: string): Promise<SignInDecision> {
  const { allowedUsers, allowedOrgs } = deps.config.github;
  const login = viewer.login.toLowerCase();
  if (allowedUsers.includes(login)) return { allowed: true, reason: "listed in KLI8NT_GITHUB_ALLOWED_USERS" };
  const org = await memberOfAny(deps, token, viewer.login);
  if (org) return { allowed: true, reason: `member of the GitHub organization ${org}` };
  if (await isSignInApproved(deps.db, login))
    return { allowed: true, reason: "approved by an administrator" };
  const orgs = allowedOrgs.length > 0 ? `, nor a member of ${allowedOrgs.join(", ")}` : "";
  return {
    allowed: false,
    reason: `The GitHub account ${viewer.login} is not among the users allowed on this Kli8nt${orgs}. Ask its administrator to add you`,
  };
}

/** Without lists: existing users, the very first GitHub user, and logins an administrator approved. */
async function decideByApproval(
  deps: GitHubDeps,
  viewer: GitHubUser,
  linkUserId: string | null,
): Promise<SignInDecision> {
  if (linkUserId) return { allowed: true, reason: "connecting GitHub to a signed-in user" };
  if (await findGitHubAccountByGitHubId(deps.db, viewer.id))
    return { allowed: true, reason: "an existing user" };
  if (await isSignInApproved(deps.db, viewer.login))
    return { allowed: true, reason: "approved by an administrator" };
  if (!(await anyGitHubAccount(deps.db))) {
    return { allowed: true, reason: "the first user to sign in (made an administrator)", firstUser: true };
  }
  await requestSignInApproval(deps.db, { login: viewer.login, githubId: viewer.id });
  return {
    allowed: false,
    reason: `The GitHub account ${viewer.login} is waiting for an administrator of this Kli8nt to approve it; sign in again once they have`,
  };
}

/**
 * Who may sign in with GitHub (ADR 0133). The decision is logged either way, with the login and the reason
 * (never the token); a refusal is a NotAllowedError the callback shows as a page.
 */
export async function decideSignIn(
  deps: GitHubDeps,
  viewer: GitHubUser,
  token: string,
  linkUserId: string | null,
): Promise<SignInDecision> {
  const { allowedUsers, allowedOrgs } = deps.config.github;
  const decision =
    allowedUsers.length > 0 || allowedOrgs.length > 0
      ? await decideByList(deps, viewer, token)
      : await decideByApproval(deps, viewer, linkUserId);
  const fields = { login: viewer.login, githubId: viewer.id, reason: decision.reason };
  if (decision.allowed) deps.logger?.info(fields, "Allowed GitHub sign-in");
  else deps.logger?.warn(fields, "Refused GitHub sign-in");
  if (!decision.allowed) {
    const code =
      allowedUsers.length > 0 || allowedOrgs.length > 0
        ? "GITHUB_SIGN_IN_NOT_ALLOWED"
        : "GITHUB_SIGN_IN_PENDING";
    throw new NotAllowedError(code, decision.reason, { details: { login: viewer.login } });
  }
  return decision;
}
