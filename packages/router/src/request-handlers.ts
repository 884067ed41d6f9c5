import type { Socket } from "node:net";
import type { ConnectionHandlers } from "./client-connection.ts";
import type { ClientResponse } from "./client-response.ts";
import { proxyHttp, type Retry, sendPage } from "./proxy-http.ts";
import type { ProxyRequest } from "./proxy-request.ts";
import { proxyUpgrade, sendRawPage } from "./proxy-upgrade.ts";
import { mayReplay, type ResolveContext, resolveRequest } from "./resolve-request.ts";
import { routerFailurePage } from "./status-pages.ts";
import type { ProxyContext } from "./types.ts";

// Two, not one: two releases can go away back to back (quick successive deploys), and an upstream that
// closes its idle keep-alive sockets closes them all at once.
const MAX_REPLAYS = 2;

/** The router's per-request callbacks: look the route up, then proxy or answer with a page. */
export function createHandlers(
  ctx: ProxyContext,
  routes: ResolveContext,
  upgraded: Set<Socket>,
): ConnectionHandlers {
  // One function for every request (no closure per request): the count of replays left travels along.
  const retry: Retry = (req, res, failed, err, reused, replaysLeft) => {
    if (replaysLeft === 0 || !mayReplay(failed, err, reused, resolveRequest(routes, req))) return false;
    serve(req, res, replaysLeft - 1);
    return true;
  };
  const serve = (req: ProxyRequest, res: ClientResponse, replaysLeft: number): void => {
    const r = resolveRequest(routes, req);
    if (r.kind === "page") {
      sendPage(req, res, r.page);
      return;
    }
    proxyHttp(ctx, req, res, r.upstream, r.app, retry, replaysLeft);
  };
  const track = (socket: Socket): void => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
  };
  // A throwing RouteTable must cost one request, not the process.
  const failed = (err: unknown, req: ProxyRequest): void =>
    ctx.logger.error({ err, host: req.headers.host }, "Failed to handle request");
  return {
    request: (req, res) => {
      try {
        serve(req, res, MAX_REPLAYS);
      } catch (err) {
        failed(err, req);
        sendPage(req, res, routerFailurePage());
      }
    },
    upgrade: (req, socket, head) => {
      try {
        const r = resolveRequest(routes, req);
        if (r.kind === "page") sendRawPage(req, socket, r.page);
        else proxyUpgrade(ctx, req, socket, head, r.upstream, r.app, track);
      } catch (err) {
        failed(err, req);
        sendRawPage(req, socket, routerFailurePage());
      }
    },
  };
}
