import { matchHost } from "./host.ts";
import type { StatusPage } from "./pages.ts";
import type { ProxyRequest } from "./proxy-request.ts";
import type { RouteTable, RouteTarget } from "./route-table.ts";
import {
  badRequestPage,
  crashedPage,
  targetStatusPage,
  unknownAppPage,
  unknownHostPage,
} from "./status-pages.ts";
import type { RouterLogger } from "./types.ts";
import { isStaleSocketError, type UpstreamAddress, upstreamAddress } from "./upstream.ts";

/** Where a request goes: to an app's upstream, or to one of the router's own pages. */
export type Resolved =
  | { kind: "proxy"; app: string; upstream: UpstreamAddress }
  | { kind: "page"; page: StatusPage };

export interface ResolveContext {
  readonly table: RouteTable;
  readonly appsDomain: string;
  readonly port: number;
  readonly logger: RouterLogger;
}

/** Reads the route for a request from its Host header, at request time: a route switch applies at once. */
export function resolveRequest(ctx: ResolveContext, req: ProxyRequest): Resolved {
  const url = req.url ?? "";
  if (!url.startsWith("/") && url !== "*") {
    return { kind: "page", page: badRequestPage("the request target must be a path, like /") };
  }
  const match = matchHost(req.headers.host, ctx.appsDomain);
  if (match.kind === "bad") return { kind: "page", page: badRequestPage(match.reason) };
  if (match.kind === "unknown") {
    return { kind: "page", page: unknownHostPage(match.host, ctx.appsDomain, ctx.port) };
  }
  return resolveTarget(ctx, match.app, ctx.table.get(match.app));
}

function resolveTarget(ctx: ResolveContext, app: string, target: RouteTarget | undefined): Resolved {
  if (target === undefined) return { kind: "page", page: unknownAppPage(app) };
  if (target.kind === "status") return { kind: "page", page: targetStatusPage(app, target) };
  const upstream = upstreamAddress(target.url);
  if (upstream === null) {
    ctx.logger.error({ app }, "Skipped route with an unusable upstream URL");
    return { kind: "page", page: crashedPage(app, "The app's route points nowhere usable.") };
  }
  return { kind: "proxy", app, upstream };
}

/**
 * Whether a bodyless request that failed before any response may be replayed once, with a fresh lookup:
 * when a reused keep-alive socket had just been closed by the upstream (nothing reached the app), or when
 * the route moved while the request was on its way to an upstream that has since stopped (blue/green).
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
