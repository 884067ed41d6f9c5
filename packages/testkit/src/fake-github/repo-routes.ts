import { type ApiContext, type ApiRoute, paginate, repoFor, requireUser } from "./api-context.ts";
import { commitInfo, listBranches, resolveCommit } from "./git-repos.ts";
import { sendGitHubError, sendJson } from "./http-io.ts";
import { commitJson, repoJson, userJson } from "./json-shapes.ts";

const SEG = "([^/]+)";

function getUser(ctx: ApiContext) {
  const token = requireUser(ctx);
  if (!token) return;
  const user = ctx.store.users.get(token.login.toLowerCase());
  if (!user) return sendGitHubError(ctx.res, 401, "Bad credentials");
  sendJson(ctx.res, 200, userJson(ctx.urls, user));
}

/** `GET /user/repos`: owned and collaborator repos; private ones only with the `repo` scope. */
function listUserRepos(ctx: ApiContext) {
  const token = requireUser(ctx);
  if (!token) return;
  const visibility = ctx.url.searchParams.get("visibility") ?? "all";
  const seesPrivate = token.scopes.includes("repo");
  const direction = ctx.url.searchParams.get("direction") ?? "asc";
  const repos = [...ctx.store.repos.values()]
    .filter((r) => ctx.store.canWrite(r, token.login))
    .filter((r) => !r.private || seesPrivate)
    .filter((r) => visibility === "all" || (visibility === "private") === r.private)
    .sort((a, b) => `${a.owner}/${a.name}`.localeCompare(`${b.owner}/${b.name}`));
  if (direction === "desc") repos.reverse();
  const page = paginate(ctx, repos);
  sendJson(
    ctx.res,
    200,
    page.map((r) => repoJson(ctx.urls, ctx.store, r, token.login)),
  );
}

function getRepo(ctx: ApiContext) {
  const repo = repoFor(ctx, "read");
  if (repo) sendJson(ctx.res, 200, repoJson(ctx.urls, ctx.store, repo, ctx.token?.login));
}

async function listRepoBranches(ctx: ApiContext): Promise<void> {
  const repo = repoFor(ctx, "read");
  if (!repo) return;
  const branches = await listBranches(ctx.home, repo.gitDir);
  const base = `${ctx.urls.api}/repos/${repo.owner}/${repo.name}`;
  sendJson(
    ctx.res,
    200,
    paginate(ctx, branches).map((b) => ({
      name: b.name,
      commit: { sha: b.sha, url: `${base}/commits/${b.sha}` },
      protected: false,
    })),
  );
}

async function getBranch(ctx: ApiContext): Promise<void> {
  const repo = repoFor(ctx, "read");
  if (!repo) return;
  const name = ctx.params[2] ?? "";
  const branch = (await listBranches(ctx.home, repo.gitDir)).find((b) => b.name === name);
  if (!branch) return sendGitHubError(ctx.res, 404, "Branch not found");
  const info = await commitInfo(ctx.home, repo.gitDir, branch.sha);
  sendJson(ctx.res, 200, { name, commit: commitJson(ctx.urls, repo, info), protected: false });
}

async function getCommit(ctx: ApiContext): Promise<void> {
  const repo = repoFor(ctx, "read");
  if (!repo) return;
  const ref = ctx.params[2] ?? "";
  const sha = await resolveCommit(ctx.home, repo.gitDir, ref);
  if (!sha) return sendGitHubError(ctx.res, 422, `No commit found for SHA: ${ref}`);
  const info = await commitInfo(ctx.home, repo.gitDir, sha);
  sendJson(ctx.res, 200, commitJson(ctx.urls, repo, info));
}

function getRateLimit(ctx: ApiContext) {
  const limit = Number(ctx.res.getHeader("x-ratelimit-limit") ?? 0);
  const remaining = Number(ctx.res.getHeader("x-ratelimit-remaining") ?? 0);
  const reset = Number(ctx.res.getHeader("x-ratelimit-reset") ?? 0);
  const core = { limit, remaining, reset, used: limit - remaining };
  sendJson(ctx.res, 200, { resources: { core }, rate: core });
}

export const repoRoutes: ApiRoute[] = [
  { method: "GET", pattern: /^\/user$/, handler: getUser },
  { method: "GET", pattern: /^\/user\/repos$/, handler: listUserRepos },
  { method: "GET", pattern: /^\/rate_limit$/, handler: getRateLimit },
  { method: "GET", pattern: new RegExp(`^/repos/${SEG}/${SEG}$`), handler: getRepo },
  { method: "GET", pattern: new RegExp(`^/repos/${SEG}/${SEG}/branches$`), handler: listRepoBranches },
  { method: "GET", pattern: new RegExp(`^/repos/${SEG}/${SEG}/branches/(.+)$`), handler: getBranch },
  { method: "GET", pattern: new RegExp(`^/repos/${SEG}/${SEG}/commits/(.+)$`), handler: getCommit },
];
