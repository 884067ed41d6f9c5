import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { ApiContext, ApiRoute } from "./api-context.ts";
import { deploymentRoutes } from "./deployment-routes.ts";
import { hookRoutes } from "./hook-routes.ts";
import { parseParams, readBody, sendGitHubError, tokenFromRequest } from "./http-io.ts";
import type { Urls } from "./json-shapes.ts";
import { orgRoutes } from "./org-routes.ts";
import { pullRequestRoutes } from "./pull-request-routes.ts";
import { repoRoutes } from "./repo-routes.ts";
import type { FakeStore, FakeToken, RateLimitState } from "./store.ts";
import type { WebhookSender } from "./webhook-delivery.ts";

const ROUTES: ApiRoute[] = [
  ...repoRoutes,
  ...deploymentRoutes,
  ...hookRoutes,
  ...orgRoutes,
  ...pullRequestRoutes,
];

export interface ApiServerDeps {
  store: FakeStore;
  urls: Urls;
  home: string;
  webhooks: WebhookSender;
}

/** GitHub's primary limits: 5000 requests an hour with a token, 60 without. */
export function rateLimitFor(store: FakeStore, key: string, authenticated: boolean): RateLimitState {
  const now = Math.floor(Date.now() / 1000);
  let state = store.rateLimits.get(key);
  if (!state || state.reset <= now) {
    const limit = state?.limit ?? (authenticated ? 5000 : 60);
    state = { limit, remaining: limit, reset: now + 3600, status: state?.status ?? 403 };
    store.rateLimits.set(key, state);
  }
  return state;
}

function applyRateLimit(deps: ApiServerDeps, res: ServerResponse, key: string, token: FakeToken | undefined) {
  const state = rateLimitFor(deps.store, key, token !== undefined);
  const exhausted = state.remaining <= 0;
  if (!exhausted) state.remaining -= 1;
  res.setHeader("x-ratelimit-limit", String(state.limit));
  res.setHeader("x-ratelimit-remaining", String(state.remaining));
  res.setHeader("x-ratelimit-reset", String(state.reset));
  res.setHeader("x-ratelimit-used", String(state.limit - state.remaining));
  res.setHeader("x-ratelimit-resource", "core");
  if (!exhausted) return true;
  const user = token ? deps.store.users.get(token.login.toLowerCase()) : undefined;
  const who = user ? `user ID ${user.id}` : key.replace(/^anon:/, "");
  const headers: Record<string, string> =
    state.status === 429
      ? { "retry-after": String(Math.max(state.reset - Math.floor(Date.now() / 1000), 1)) }
      : {};
  sendGitHubError(res, state.status, `API rate limit exceeded for ${who}.`, {}, headers);
  return false;
}

/** Plays an outage set by `failNextRequests`; true when it already answered. */
async function injectedFailure(store: FakeStore, res: ServerResponse): Promise<boolean> {
  const outage = store.outage;
  if (!outage || outage.count <= 0) return false;
  outage.count -= 1;
  if (outage.delayMs > 0) await sleep(outage.delayMs);
  if (outage.status <= 0) return false;
  sendGitHubError(res, outage.status, "Server Error");
  return true;
}

/** The body of a write request (JSON or form), `{}` for reads, undefined when it does not parse. */
async function readParams(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  if (req.method !== "POST" && req.method !== "PATCH" && req.method !== "PUT") return {};
  try {
    return parseParams(req, await readBody(req));
  } catch {
    return undefined;
  }
}

/** Handles one request under the API prefix (`/api/v3`), `path` being the rest. */
export async function serveApi(
  deps: ApiServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
): Promise<void> {
  res.setHeader("x-github-media-type", "github.v3; format=json");
  res.setHeader("x-github-request-id", Math.random().toString(16).slice(2, 10).toUpperCase());
  const presented = tokenFromRequest(req);
  const token = presented === undefined ? undefined : deps.store.liveToken(presented);
  if (presented !== undefined && !token) return sendGitHubError(res, 401, "Bad credentials");
  if (token) res.setHeader("x-oauth-scopes", token.scopes.join(", "));
  const key = token ? token.login.toLowerCase() : `anon:${req.socket.remoteAddress ?? "?"}`;
  if (!applyRateLimit(deps, res, key, token)) return;
  if (await injectedFailure(deps.store, res)) return;
  const route = ROUTES.find((r) => r.method === req.method && r.pattern.test(path));
  if (!route) return sendGitHubError(res, 404, "Not Found");
  const params = (route.pattern.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
  const body = await readParams(req);
  if (body === undefined) return sendGitHubError(res, 400, "Problems parsing JSON");
  const ctx: ApiContext = { ...deps, req, res, url, params, token, body };
  await route.handler(ctx);
}
