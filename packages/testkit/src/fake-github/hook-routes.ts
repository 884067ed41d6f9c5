import { type ApiContext, type ApiRoute, paginate, repoFor, validationFailed } from "./api-context.ts";
import { sendGitHubError, sendJson } from "./http-io.ts";
import { hookJson, repoJson } from "./json-shapes.ts";
import type { FakeHook, FakeRepo } from "./store.ts";

const SEG = "([^/]+)";

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function parseHook(ctx: ApiContext, repo: FakeRepo): FakeHook | undefined {
  const config = (ctx.body.config ?? {}) as Record<string, unknown>;
  if (!isHttpUrl(config.url)) {
    validationFailed(ctx, "Hook", "url", "Validation Failed: url is not a valid URL");
    return undefined;
  }
  const events = Array.isArray(ctx.body.events) ? ctx.body.events.map(String) : ["push"];
  return {
    id: ctx.store.newId(),
    repoId: repo.id,
    url: config.url,
    contentType: config.content_type === "json" ? "json" : "form",
    ...(typeof config.secret === "string" && config.secret !== "" ? { secret: config.secret } : {}),
    events,
    active: ctx.body.active !== false,
    insecureSsl: String(config.insecure_ssl ?? "0"),
    createdAt: new Date().toISOString(),
  };
}

function createHook(ctx: ApiContext) {
  const repo = repoFor(ctx, "admin", "hooks-write");
  if (!repo) return;
  const hook = parseHook(ctx, repo);
  if (!hook) return;
  const duplicate = [...ctx.store.hooks.values()].some((h) => h.repoId === repo.id && h.url === hook.url);
  if (duplicate) return validationFailed(ctx, "Hook", "hook", "Hook already exists on this repository");
  ctx.store.hooks.set(hook.id, hook);
  const json = hookJson(ctx.urls, repo, hook);
  sendJson(ctx.res, 201, json);
  // Like GitHub, announce the new hook with a ping; the receiver's answer is only recorded.
  void ctx.webhooks.sendToHook(hook, "ping", {
    zen: "Keep it logically awesome.",
    hook_id: hook.id,
    hook: json,
    repository: repoJson(ctx.urls, ctx.store, repo, undefined),
  });
}

function listHooks(ctx: ApiContext) {
  const repo = repoFor(ctx, "admin", "hooks-read");
  if (!repo) return;
  const hooks = [...ctx.store.hooks.values()].filter((h) => h.repoId === repo.id);
  sendJson(
    ctx.res,
    200,
    paginate(ctx, hooks).map((h) => hookJson(ctx.urls, repo, h)),
  );
}

function hookOf(ctx: ApiContext, repo: FakeRepo): FakeHook | undefined {
  const hook = ctx.store.hooks.get(Number(ctx.params[2]));
  if (!hook || hook.repoId !== repo.id) {
    sendGitHubError(ctx.res, 404, "Not Found");
    return undefined;
  }
  return hook;
}

function getHook(ctx: ApiContext) {
  const repo = repoFor(ctx, "admin", "hooks-read");
  const hook = repo && hookOf(ctx, repo);
  if (repo && hook) sendJson(ctx.res, 200, hookJson(ctx.urls, repo, hook));
}

/** `PATCH …/hooks/:id`: events, active and config, as GitHub's "update a repository webhook". */
function updateHook(ctx: ApiContext) {
  const repo = repoFor(ctx, "admin", "hooks-write");
  const hook = repo && hookOf(ctx, repo);
  if (!repo || !hook) return;
  if (Array.isArray(ctx.body.events)) hook.events = ctx.body.events.map(String);
  if (typeof ctx.body.active === "boolean") hook.active = ctx.body.active;
  const config = (ctx.body.config ?? {}) as Record<string, unknown>;
  if (isHttpUrl(config.url)) hook.url = config.url;
  if (typeof config.secret === "string" && config.secret !== "") hook.secret = config.secret;
  sendJson(ctx.res, 200, hookJson(ctx.urls, repo, hook));
}

function deleteHook(ctx: ApiContext) {
  const repo = repoFor(ctx, "admin", "hooks-write");
  const hook = repo && hookOf(ctx, repo);
  if (!repo || !hook) return;
  ctx.store.hooks.delete(hook.id);
  sendJson(ctx.res, 204, null);
}

export const hookRoutes: ApiRoute[] = [
  { method: "POST", pattern: new RegExp(`^/repos/${SEG}/${SEG}/hooks$`), handler: createHook },
  { method: "GET", pattern: new RegExp(`^/repos/${SEG}/${SEG}/hooks$`), handler: listHooks },
  { method: "GET", pattern: new RegExp(`^/repos/${SEG}/${SEG}/hooks/(\\d+)$`), handler: getHook },
  { method: "PATCH", pattern: new RegExp(`^/repos/${SEG}/${SEG}/hooks/(\\d+)$`), handler: updateHook },
  { method: "DELETE", pattern: new RegExp(`^/repos/${SEG}/${SEG}/hooks/(\\d+)$`), handler: deleteHook },
];
