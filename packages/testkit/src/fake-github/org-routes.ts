import type { ApiContext, ApiRoute } from "./api-context.ts";
import { requireUser } from "./api-context.ts";
import { sendGitHubError } from "./http-io.ts";

const SEG = "([^/]+)";

/**
 * `GET /orgs/{org}/members/{username}`, as GitHub answers it: 204 when the user is a member and the
 * caller may see it (the caller is a member too), 404 when not; a caller outside the org is redirected
 * (302) to the public-members check, which here knows no public members.
 */
function checkMembership(ctx: ApiContext) {
  const token = requireUser(ctx);
  if (!token) return;
  const [org = "", user = ""] = ctx.params;
  const members = ctx.store.orgMembers.get(org.toLowerCase());
  if (!members) return sendGitHubError(ctx.res, 404, "Not Found");
  if (!members.has(token.login.toLowerCase())) {
    ctx.res.writeHead(302, { location: `${ctx.urls.api}/orgs/${org}/public_members/${user}` }).end();
    return;
  }
  if (members.has(user.toLowerCase())) ctx.res.writeHead(204).end();
  else sendGitHubError(ctx.res, 404, "User does not exist or is not a member of the organization");
}

/** `GET /orgs/{org}/public_members/{username}`: nobody's membership is public in the fake. */
function checkPublicMembership(ctx: ApiContext) {
  sendGitHubError(ctx.res, 404, "Not Found");
}

export const orgRoutes: ApiRoute[] = [
  { method: "GET", pattern: new RegExp(`^/orgs/${SEG}/members/${SEG}$`), handler: checkMembership },
  {
    method: "GET",
    pattern: new RegExp(`^/orgs/${SEG}/public_members/${SEG}$`),
    handler: checkPublicMembership,
  },
];
