import {
  type ApiContext,
  type ApiRoute,
  paginate,
  repoFor,
  stringParam,
  validationFailed,
} from "./api-context.ts";
import { resolveCommit } from "./git-repos.ts";
import { sendGitHubError, sendJson } from "./http-io.ts";
import { deploymentJson, repoJson, statusJson } from "./json-shapes.ts";
import type { FakeDeployment, FakeRepo } from "./store.ts";

const SEG = "([^/]+)";
const STATES = ["error", "failure", "inactive", "in_progress", "queued", "pending", "success"];

function findDeployment(ctx: ApiContext, repo: FakeRepo): FakeDeployment | undefined {
  const d = ctx.store.deployments.get(Number(ctx.params[2]));
  if (!d || d.repoId !== repo.id) {
    sendGitHubError(ctx.res, 404, "Not Found");
    return undefined;
  }
  return d;
}

async function createDeployment(ctx: ApiContext): Promise<void> {
  const repo = repoFor(ctx, "write");
  if (!repo || !ctx.token) return;
  const ref = stringParam(ctx.body, "ref");
  if (!ref) return validationFailed(ctx, "Deployment", "ref", 'Invalid request.\n\n"ref" wasn\'t supplied.');
  const sha = await resolveCommit(ctx.home, repo.gitDir, ref);
  if (!sha) return sendGitHubError(ctx.res, 422, `No ref found for: ${ref}`);
  const environment = stringParam(ctx.body, "environment") ?? "production";
  const d: FakeDeployment = {
    id: ctx.store.newId(),
    repoId: repo.id,
    sha,
    ref,
    task: stringParam(ctx.body, "task") ?? "deploy",
    environment,
    description: stringParam(ctx.body, "description") ?? null,
    payload: ctx.body.payload ?? {},
    creator: ctx.token.login,
    transientEnvironment: ctx.body.transient_environment === true,
    productionEnvironment:
      typeof ctx.body.production_environment === "boolean"
        ? ctx.body.production_environment
        : environment === "production",
    createdAt: new Date().toISOString(),
    statuses: [],
  };
  ctx.store.deployments.set(d.id, d);
  const json = deploymentJson(ctx.urls, ctx.store, repo, d);
  sendJson(ctx.res, 201, json);
  void ctx.webhooks.send(repo, "deployment", {
    action: "created",
    deployment: json,
    repository: repoJson(ctx.urls, ctx.store, repo, undefined),
  });
}

function listDeployments(ctx: ApiContext) {
  const repo = repoFor(ctx, "read");
  if (!repo) return;
  const q = ctx.url.searchParams;
  const matches = [...ctx.store.deployments.values()]
    .filter((d) => d.repoId === repo.id)
    .filter((d) => !q.get("sha") || d.sha === q.get("sha"))
    .filter((d) => !q.get("ref") || d.ref === q.get("ref"))
    .filter((d) => !q.get("task") || d.task === q.get("task"))
    .filter((d) => !q.get("environment") || d.environment === q.get("environment"))
    .sort((a, b) => b.id - a.id);
  sendJson(
    ctx.res,
    200,
    paginate(ctx, matches).map((d) => deploymentJson(ctx.urls, ctx.store, repo, d)),
  );
}

function getDeployment(ctx: ApiContext) {
  const repo = repoFor(ctx, "read");
  const d = repo && findDeployment(ctx, repo);
  if (repo && d) sendJson(ctx.res, 200, deploymentJson(ctx.urls, ctx.store, repo, d));
}

/**
 * GitHub's `auto_inactive` (default true): a new `success` marks earlier successful deployments to the same
 * environment inactive, but only non-transient, non-production ones.
 */
function autoInactivate(ctx: ApiContext, current: FakeDeployment): void {
  for (const d of ctx.store.deployments.values()) {
    if (d.id === current.id || d.repoId !== current.repoId || d.environment !== current.environment) continue;
    if (d.productionEnvironment || d.transientEnvironment || d.statuses.at(-1)?.state !== "success") continue;
    d.statuses.push({
      id: ctx.store.newId(),
      state: "inactive",
      description: "",
      environmentUrl: "",
      logUrl: "",
      creator: current.creator,
      createdAt: new Date().toISOString(),
    });
  }
}

function createStatus(ctx: ApiContext) {
  const repo = repoFor(ctx, "write");
  const d = repo && findDeployment(ctx, repo);
  if (!repo || !d || !ctx.token) return;
  const state = stringParam(ctx.body, "state") ?? "";
  if (!STATES.includes(state))
    return validationFailed(ctx, "DeploymentStatus", "state", `Invalid state: ${state}`);
  const description = stringParam(ctx.body, "description") ?? "";
  if (description.length > 140) {
    return validationFailed(
      ctx,
      "DeploymentStatus",
      "description",
      "description is too long (maximum is 140)",
    );
  }
  const status = {
    id: ctx.store.newId(),
    state,
    description,
    environmentUrl: stringParam(ctx.body, "environment_url") ?? "",
    logUrl: stringParam(ctx.body, "log_url") ?? stringParam(ctx.body, "target_url") ?? "",
    creator: ctx.token.login,
    createdAt: new Date().toISOString(),
  };
  if (state === "success" && ctx.body.auto_inactive !== false) autoInactivate(ctx, d);
  d.statuses.push(status);
  sendJson(ctx.res, 201, statusJson(ctx.urls, ctx.store, repo, d, status));
}

function listStatuses(ctx: ApiContext) {
  const repo = repoFor(ctx, "read");
  const d = repo && findDeployment(ctx, repo);
  if (!repo || !d) return;
  const newestFirst = [...d.statuses].reverse();
  sendJson(
    ctx.res,
    200,
    paginate(ctx, newestFirst).map((s) => statusJson(ctx.urls, ctx.store, repo, d, s)),
  );
}

export const deploymentRoutes: ApiRoute[] = [
  { method: "POST", pattern: new RegExp(`^/repos/${SEG}/${SEG}/deployments$`), handler: createDeployment },
  { method: "GET", pattern: new RegExp(`^/repos/${SEG}/${SEG}/deployments$`), handler: listDeployments },
  { method: "GET", pattern: new RegExp(`^/repos/${SEG}/${SEG}/deployments/(\\d+)$`), handler: getDeployment },
  {
    method: "POST",
    pattern: new RegExp(`^/repos/${SEG}/${SEG}/deployments/(\\d+)/statuses$`),
    handler: createStatus,
  },
  {
    method: "GET",
    pattern: new RegExp(`^/repos/${SEG}/${SEG}/deployments/(\\d+)/statuses$`),
    handler: listStatuses,
  },
];
