import { challengeReply, challengeToken, httpsRedirect, isChallengePath } from "./domain-replies.ts";
import type { DomainTable } from "./domain-table.ts";
import { matchHost } from "./host.ts";
import type { RenderedPage, StatusPage } from "./pages.ts";
import type { ProxyRequest } from "./proxy-request.ts";
import type { RouteTable, RouteTarget } from "./route-table.ts";
import {
  allReplicasDownPage,
  badRequestPage,
  crashedPage,
  targetStatusPage,
  unknownAppPage,
  unknownHostPage,
} from "./status-pages.ts";
import type { RouterLogger } from "./types.ts";
import { isStaleSocketError, type UpstreamAddress, upstreamAddress } from "./upstream.ts";
import { type UpstreamHealth, type UpstreamSet, upstreamSetOf } from "./upstream-set.ts";

/**
 * Where a request goes: to one upstream of an app (and the replica set it was picked from, when the route
 * has several), or to one of the router's own pages.
 */
export type Resolved =
  | { kind: "proxy"; app: string; upstream: UpstreamAddress; set: UpstreamSet | undefined }
  /** `app`: the app whose status the page tells (building, crashed, …); null for hosts of no app. */
  | { kind: "page"; page: StatusPage; app: string | null }
  /** A custom domain's ACME challenge answer or its redirect to HTTPS (ADR 0221). */
  | { kind: "reply"; reply: RenderedPage; app: string | null };

export interface ResolveContext {
  readonly table: RouteTable;
  readonly appsDomain: string;
  readonly port: number;
  readonly logger: RouterLogger;
  readonly health: UpstreamHealth;
  /** Custom domains (ADR 0221); without it only `<app>.<appsDomain>` is routed. */
  readonly domains: DomainTable | undefined;
  /** Where HTTP redirects active domains to. */
  tlsPort: number;
}

/** Reads the route for a request from its Host header, at request time: a route switch applies at once. */
export function resolveRequest(ctx: ResolveContext, req: ProxyRequest): Resolved {
  const url = req.url ?? "";
  if (!url.startsWith("/") && url !== "*") {
    return { kind: "page", page: badRequestPage("the request target must be a path, like /"), app: null };
  }
  const domains = ctx.domains;
  if (domains !== undefined && isChallengePath(url)) {
    const token = challengeToken(url);
    const answer = token === null ? undefined : domains.challenge(token);
    if (answer !== undefined) return { kind: "reply", reply: challengeReply(answer), app: null };
  }
  const match = matchHost(req.headers.host, ctx.appsDomain);
  if (match.kind === "bad") return { kind: "page", page: badRequestPage(match.reason), app: null };
  if (match.kind === "unknown") return resolveDomain(ctx, req, match.host, url);
  return resolveTarget(ctx, match.app, ctx.table.get(match.app));
}

/** A custom domain is its app; an active one's plain HTTP requests go to HTTPS, challenges excepted. */
function resolveDomain(ctx: ResolveContext, req: ProxyRequest, host: string, url: string): Resolved {
  const domain = ctx.domains?.lookup(host);
  if (domain === undefined) {
    return { kind: "page", page: unknownHostPage(host, ctx.appsDomain, ctx.port), app: null };
  }
  if (domain.https && req.edge.proto === "http" && !isChallengePath(url)) {
    return { kind: "reply", reply: httpsRedirect(req, host, ctx.tlsPort), app: domain.app };
  }
  return resolveTarget(ctx, domain.app, ctx.table.get(domain.app));
}

function resolveTarget(ctx: ResolveContext, app: string, target: RouteTarget | undefined): Resolved {
  if (target === undefined) return { kind: "page", page: unknownAppPage(app), app: null };
  if (target.kind === "status") return { kind: "page", page: targetStatusPage(app, target), app };
  const set = upstreamSetOf(target);
  // One upstream: always tried, there is nothing else to send to (its failure is the 502 page).
  const upstream = set === undefined ? upstreamAddress(target.url) : null;
  if (upstream !== null) return { kind: "proxy", app, upstream, set: undefined };
  if (set === undefined || set === null) {
    ctx.logger.error({ app }, "Skipped route with an unusable upstream URL");
    return { kind: "page", page: crashedPage(app, "The app's route points nowhere usable."), app };
  }
  const replica = set.pick(ctx.health);
  if (replica === null) return { kind: "page", page: allReplicasDownPage(app), app };
  return { kind: "proxy", app, upstream: replica, set };
}

/**
 * Whether a bodyless request that failed before any response may be replayed once, with a fresh lookup:
 * when a reused keep-alive socket had just been closed by the upstream (nothing reached the app), when
 * the route moved while the request was on its way to an upstream that has since stopped (blue/green), or
 * when the lookup now gives another replica of the app (a replica went away: another one answers).
 */
export function mayReplay(
  failed: UpstreamAddress,
  err: Error,
  reusedSocket: boolean,
  now: Resolved,
): boolean {
  if (reusedSocket && isStaleSocketError(err)) return true;
  if (now.kind !== "proxy") return true;
  return now.upstream.hostname !== failed.hostname || now.upstream.port !== failed.port;
}
