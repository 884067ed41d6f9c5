import type { IncomingMessage, ServerResponse } from "node:http";
import { sendGitHubError } from "./http-io.ts";
import type { Urls } from "./json-shapes.ts";
import type { FakeRepo, FakeStore, FakeToken } from "./store.ts";
import type { WebhookSender } from "./webhook-delivery.ts";

/** Everything one REST handler needs. */
export interface ApiContext {
  store: FakeStore;
  urls: Urls;
  home: string;
  webhooks: WebhookSender;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  token: FakeToken | undefined;
  body: Record<string, unknown>;
}

export type ApiHandler = (ctx: ApiContext) => Promise<void> | void;

export interface ApiRoute {
  method: string;
  pattern: RegExp;
  handler: ApiHandler;
}

export type Access = "read" | "write" | "admin";

/** OAuth scopes that grant each kind of access on a private repository (public reads need none). */
const SCOPES: Record<Access | "hooks-read" | "hooks-write", string[]> = {
  read: ["repo"],
  write: ["repo", "repo_deployment"],
  admin: ["repo"],
  "hooks-read": ["repo", "admin:repo_hook", "write:repo_hook", "read:repo_hook"],
  "hooks-write": ["repo", "admin:repo_hook", "write:repo_hook"],
};

export function requireUser(ctx: ApiContext): FakeToken | undefined {
  if (!ctx.token) sendGitHubError(ctx.res, 401, "Requires authentication");
  return ctx.token;
}

/**
 * The repository named by the first two path params, when the caller may act on it with `access` and the
 * token holds a scope in `scopeSet`; otherwise answers 404 as GitHub does (it never confirms existence).
 */
export function repoFor(
  ctx: ApiContext,
  access: Access,
  scopeSet: keyof typeof SCOPES = access,
): FakeRepo | undefined {
  const [owner = "", name = ""] = ctx.params;
  const repo = ctx.store.findRepo(owner, name);
  const login = ctx.token?.login;
  const accepted = SCOPES[scopeSet];
  const scoped = ctx.token?.scopes.some((s) => accepted.includes(s)) ?? false;
  let allowed = repo !== undefined && ctx.store.canRead(repo, login) && (!repo.private || scoped);
  if (repo && allowed && access !== "read") {
    allowed = login !== undefined && scoped && ctx.store.canWrite(repo, login);
    if (access === "admin") allowed &&= repo.owner.toLowerCase() === login?.toLowerCase();
  }
  if (!repo || !allowed) {
    sendGitHubError(ctx.res, 404, "Not Found", {}, { "x-accepted-oauth-scopes": accepted.join(", ") });
    return undefined;
  }
  return repo;
}

/** Slices `items` by `page`/`per_page` and sets GitHub's `Link` header (first/prev/next/last). */
export function paginate<T>(ctx: ApiContext, items: T[]): T[] {
  const perPage = Math.min(Math.max(Number(ctx.url.searchParams.get("per_page") ?? 30) || 30, 1), 100);
  const page = Math.max(Number(ctx.url.searchParams.get("page") ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (p: number, rel: string) => {
    const u = new URL(ctx.url.pathname + ctx.url.search, ctx.urls.web);
    u.searchParams.set("per_page", String(perPage));
    u.searchParams.set("page", String(p));
    return `<${ctx.urls.api}${u.pathname.replace(/^\/api\/v3/, "")}${u.search}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, "prev"));
  if (page < last) links.push(link(page + 1, "next"));
  if (page < last) links.push(link(last, "last"));
  if (page > 1) links.push(link(1, "first"));
  if (links.length > 0) ctx.res.setHeader("link", links.join(", "));
  return items.slice((page - 1) * perPage, page * perPage);
}

export function validationFailed(ctx: ApiContext, resource: string, field: string, message: string): void {
  sendGitHubError(ctx.res, 422, message, {
    errors: [{ resource, field, code: "invalid", message }],
  });
}

export function stringParam(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  return typeof value === "string" ? value : undefined;
}
