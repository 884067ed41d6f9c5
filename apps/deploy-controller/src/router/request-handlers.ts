import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { rawResponse } from "./pages.ts";
import { proxyHttp, type Retry, sendPage } from "./proxy-http.ts";
import { proxyUpgrade, sendRawPage } from "./proxy-upgrade.ts";
import { mayReplay, type ResolveContext, resolveRequest } from "./resolve-request.ts";
import { clientErrorPage, routerFailurePage } from "./status-pages.ts";
import type { ProxyContext } from "./types.ts";

// Two, not one: two releases can go away back to back (quick successive deploys), and an upstream that
// closes its idle keep-alive sockets closes them all at once.
const MAX_REPLAYS = 2;

export interface Handlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** The router's server callbacks: look the route up, then proxy or answer with a page. */
export function createHandlers(ctx: ProxyContext, routes: ResolveContext, upgraded: Set<Duplex>): Handlers {
  const serve = (req: IncomingMessage, res: ServerResponse, replaysLeft: number): void => {
    const r = resolveRequest(routes, req);
    if (r.kind === "page") {
      sendPage(req, res, r.page);
      return;
    }
    const retry: Retry = (failed, err, reused) => {
      if (replaysLeft === 0 || !mayReplay(failed, err, reused, resolveRequest(routes, req))) return false;
      serve(req, res, replaysLeft - 1);
      return true;
    };
    proxyHttp(ctx, req, res, r.upstream, r.app, retry);
  };
  const track = (socket: Duplex): void => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
  };
  // A throwing RouteTable or an input node:http's client refuses must cost one request, not the process.
  const failed = (err: unknown, req: IncomingMessage): void =>
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

/** Requests node:http could not parse get a page too; a client that already left is just dropped. */
export function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  socket.end(rawResponse(clientErrorPage(status), undefined));
}
