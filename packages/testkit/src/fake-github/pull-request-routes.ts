import {
  type ApiContext,
  type ApiRoute,
  paginate,
  repoFor,
  stringParam,
  validationFailed,
} from "./api-context.ts";
import { sendGitHubError, sendJson } from "./http-io.ts";
import { commentJson, pullRequestJson } from "./pull-request-json.ts";
import type { FakeIssueComment, FakeRepo } from "./store.ts";

const SEG = "([^/]+)";

function listPulls(ctx: ApiContext) {
  const repo = repoFor(ctx, "read");
  if (!repo) return;
  const state = ctx.url.searchParams.get("state") ?? "open";
  const pulls = [...ctx.store.pullRequests.values()]
    .filter((pr) => pr.repoId === repo.id && (state === "all" || pr.state === state))
    .sort((a, b) => b.number - a.number);
  sendJson(
    ctx.res,
    200,
    paginate(ctx, pulls).map((pr) => pullRequestJson(ctx.urls, ctx.store, pr)),
  );
}

function getPull(ctx: ApiContext) {
  const repo = repoFor(ctx, "read");
  if (!repo) return;
  const pr = ctx.store.pullRequests.get(`${repo.id}#${Number(ctx.params[2])}`);
  if (!pr) return sendGitHubError(ctx.res, 404, "Not Found");
  sendJson(ctx.res, 200, pullRequestJson(ctx.urls, ctx.store, pr));
}

function issueExists(ctx: ApiContext, repo: FakeRepo, issueNumber: number): boolean {
  if (ctx.store.pullRequests.has(`${repo.id}#${issueNumber}`)) return true;
  sendGitHubError(ctx.res, 404, "Not Found");
  return false;
}

function createComment(ctx: ApiContext) {
  const repo = repoFor(ctx, "write");
  const issueNumber = Number(ctx.params[2]);
  if (!repo || !ctx.token || !issueExists(ctx, repo, issueNumber)) return;
  const body = stringParam(ctx.body, "body");
  if (!body) return validationFailed(ctx, "IssueComment", "body", "body wasn't supplied");
  const now = new Date().toISOString();
  const comment: FakeIssueComment = {
    id: ctx.store.newId(),
    repoId: repo.id,
    issueNumber,
    body,
    user: ctx.token.login,
    createdAt: now,
    updatedAt: now,
  };
  ctx.store.comments.set(comment.id, comment);
  sendJson(ctx.res, 201, commentJson(ctx.urls, ctx.store, repo, comment));
}

function listComments(ctx: ApiContext) {
  const repo = repoFor(ctx, "read");
  const issueNumber = Number(ctx.params[2]);
  if (!repo || !issueExists(ctx, repo, issueNumber)) return;
  const comments = [...ctx.store.comments.values()]
    .filter((c) => c.repoId === repo.id && c.issueNumber === issueNumber)
    .sort((a, b) => a.id - b.id);
  sendJson(
    ctx.res,
    200,
    paginate(ctx, comments).map((c) => commentJson(ctx.urls, ctx.store, repo, c)),
  );
}

function commentOf(ctx: ApiContext, repo: FakeRepo): FakeIssueComment | undefined {
  const comment = ctx.store.comments.get(Number(ctx.params[2]));
  if (comment?.repoId === repo.id) return comment;
  sendGitHubError(ctx.res, 404, "Not Found");
  return undefined;
}

function getComment(ctx: ApiContext) {
  const repo = repoFor(ctx, "read");
  const comment = repo && commentOf(ctx, repo);
  if (repo && comment) sendJson(ctx.res, 200, commentJson(ctx.urls, ctx.store, repo, comment));
}

function updateComment(ctx: ApiContext) {
  const repo = repoFor(ctx, "write");
  const comment = repo && commentOf(ctx, repo);
  if (!repo || !comment || !ctx.token) return;
  // GitHub lets the author (or a maintainer) edit; the fake checks the author.
  if (comment.user.toLowerCase() !== ctx.token.login.toLowerCase()) {
    return sendGitHubError(ctx.res, 403, "Resource not accessible by integration");
  }
  const body = stringParam(ctx.body, "body");
  if (!body) return validationFailed(ctx, "IssueComment", "body", "body wasn't supplied");
  comment.body = body;
  comment.updatedAt = new Date().toISOString();
  sendJson(ctx.res, 200, commentJson(ctx.urls, ctx.store, repo, comment));
}

function deleteComment(ctx: ApiContext) {
  const repo = repoFor(ctx, "write");
  const comment = repo && commentOf(ctx, repo);
  if (!repo || !comment) return;
  ctx.store.comments.delete(comment.id);
  sendJson(ctx.res, 204, null);
}

const repoPath = (rest: string) => new RegExp(`^/repos/${SEG}/${SEG}/${rest}$`);

export const pullRequestRoutes: ApiRoute[] = [
  { method: "GET", pattern: repoPath("pulls"), handler: listPulls },
  { method: "GET", pattern: repoPath("pulls/(\\d+)"), handler: getPull },
  { method: "POST", pattern: repoPath("issues/(\\d+)/comments"), handler: createComment },
  { method: "GET", pattern: repoPath("issues/(\\d+)/comments"), handler: listComments },
  { method: "GET", pattern: repoPath("issues/comments/(\\d+)"), handler: getComment },
  { method: "PATCH", pattern: repoPath("issues/comments/(\\d+)"), handler: updateComment },
  { method: "DELETE", pattern: repoPath("issues/comments/(\\d+)"), handler: deleteComment },
];
