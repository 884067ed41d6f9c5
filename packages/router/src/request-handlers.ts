import type { Socket } from "node:net";
import type { ConnectionHandlers } from "./client-connection.ts";
import type { ClientResponse } from "./client-response.ts";
import { rawReply, replyReason } from "./domain-replies.ts";
import type { RenderedPage } from "./pages.ts";
import { type Attempt, type Failover, proxyHttp, type Retry, sendPage } from "./proxy-http.ts";
import type { ProxyRequest } from "./proxy-request.ts";
import { proxyUpgrade, sendRawPage } from "./proxy-upgrade.ts";
import { mayReplay, type ResolveContext, type Resolved, resolveRequest } from "./resolve-request.ts";
import { routerFailurePage } from "./status-pages.ts";
import type { ProxyContext } from "./types.ts";
import type { UpstreamAddress } from "./upstream.ts";

// Two, not one: two releases can go away back to back (quick successive deploys), and an upstream that
// closes its idle keep-alive sockets closes them all at once.
const MAX_REPLAYS = 2;
// A refused connection marks its upstream down, so each hop goes to another one; the cap only bounds a
// route that keeps moving to upstreams that refuse.
const MAX_HOPS = 8;

/** The router's per-request callbacks: look the route up, then proxy or answer with a page. */
export function createHandlers(
  ctx: ProxyContext,
  routes: ResolveContext,
  upgraded: Set<Socket>,
): ConnectionHandlers {
  // One function for every request (no closure per request): the counts left travel in the Attempt.
  const retry: Retry = (req, res, failed, err, reused, attempt) => {
    if (attempt.replaysLeft === 0) return false;
    const now = otherReplica(resolveRequest(routes, req), failed, routes);
    if (!mayReplay(failed, err, reused, now)) return false;
    serve(req, res, { ...attempt, replaysLeft: attempt.replaysLeft - 1 }, now);
    return true;
  };
  const failover: Failover = (req, res, failed, attempt) => {
    if (attempt.hops === MAX_HOPS) return false;
    const now = otherReplica(resolveRequest(routes, req), failed, routes);
    if (now.kind !== "proxy" || now.upstream === failed) return false;
    ctx.logger.debug({ app: now.app, upstream: failed }, "Sent request to another upstream after a refusal");
    serve(req, res, { ...attempt, hops: attempt.hops + 1 }, now);
    return true;
  };
  const first: Attempt = { retry, failover, replaysLeft: MAX_REPLAYS, hops: 0 };
  const serve = (req: ProxyRequest, res: ClientResponse, attempt: Attempt, r: Resolved): void => {
    // The response counts for the app it answers for (its status pages included), not for unknown hosts.
    res.app = r.app;
    if (r.kind === "page") {
      sendPage(req, res, r.page);
      return;
    }
    if (r.kind === "reply") {
      sendReply(res, r.reply);
      return;
    }
    proxyHttp(ctx, req, res, r.upstream, r.app, attempt);
  };
  const metrics = ctx.metrics;
  const track = (socket: Socket): void => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
  };
  // A throwing RouteTable must cost one request, not the process.
  const failed = (err: unknown, req: ProxyRequest): void =>
    ctx.logger.error({ err, host: req.headers.host }, "Failed to handle request");
  return {
    request: (req, res) => {
      if (metrics !== null) {
        res.metrics = metrics;
        res.startedAt = metrics.now();
      }
      try {
        serve(req, res, first, resolveRequest(routes, req));
      } catch (err) {
        failed(err, req);
        sendPage(req, res, routerFailurePage());
      }
    },
    upgrade: (req, socket, head) => {
      try {
        const r = resolveRequest(routes, req);
        if (r.kind === "page") sendRawPage(req, socket, r.page);
        else if (r.kind === "reply") sendRawReply(socket, r.reply);
        else proxyUpgrade(ctx, req, socket, head, r.upstream, r.app, track);
      } catch (err) {
        failed(err, req);
        sendRawPage(req, socket, routerFailurePage());
      }
    },
  };
}

/**
 * A replay goes to another replica of the app when it has one: the failed one may hold more keep-alive
 * sockets that its death has not closed yet, and its turn may well come round again.
 */
function otherReplica(now: Resolved, failed: UpstreamAddress, routes: ResolveContext): Resolved {
  if (now.kind !== "proxy" || now.set === undefined || now.upstream !== failed) return now;
  const next = now.set.pick(routes.health);
  return next === null || next === failed ? now : { ...now, upstream: next };
}

function sendReply(res: ClientResponse, reply: RenderedPage): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let text = "";
  for (const [name, value] of Object.entries(reply.headers)) text += `${name}: ${value}\r\n`;
  res.writeHead(reply.status, replyReason(reply.status), { text, hasLength: true });
  res.end(Buffer.from(reply.body));
}

function sendRawReply(socket: Socket, reply: RenderedPage): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(rawReply(reply));
  socket.resume();
}
