import { type IncomingMessage, request, type ServerResponse } from "node:http";
import { clientResponseHeaders, hasNoBody, upstreamRequestHeaders } from "./headers.ts";
import { renderPage, type StatusPage } from "./pages.ts";
import { upstreamFailedPage } from "./status-pages.ts";
import type { ProxyContext } from "./types.ts";
import { armConnectTimeout, failureCode, isStaleSocketError, type UpstreamAddress } from "./upstream.ts";

/** Writes a router page unless the response has already started. */
export function sendPage(req: IncomingMessage, res: ServerResponse, page: StatusPage): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const rendered = renderPage(page, req.headers.accept);
  res.writeHead(rendered.status, rendered.headers);
  res.end(req.method === "HEAD" ? undefined : rendered.body);
}

/**
 * Streams one request to the upstream and its response back, without buffering either body.
 * A bodyless request that fails on a reused keep-alive socket (the upstream closed it as we wrote) is
 * replayed once on a new connection: nothing reached the app, and the visitor must not see a 502 for it.
 */
export function proxyHttp(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  upstream: UpstreamAddress,
  app: string,
  attempt = 0,
): void {
  const bodyless = hasNoBody(req);
  const proxyReq = request({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers: upstreamRequestHeaders(req, false),
    agent: ctx.agent,
  });
  armConnectTimeout(proxyReq, ctx.connectTimeoutMs);

  proxyReq.on("response", (proxyRes) => {
    res.writeHead(
      proxyRes.statusCode ?? 502,
      proxyRes.statusMessage,
      clientResponseHeaders(proxyRes.headers),
    );
    // An upstream that dies mid-body must cut the client's response, not leave it hanging as complete.
    proxyRes.on("error", () => res.destroy());
    proxyRes.on("aborted", () => res.destroy());
    proxyRes.pipe(res);
  });

  proxyReq.on("error", (err) => {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    if (bodyless && attempt === 0 && proxyReq.reusedSocket && isStaleSocketError(err)) {
      proxyHttp(ctx, req, res, upstream, app, 1);
      return;
    }
    const code = failureCode(err);
    ctx.logger.warn({ app, upstream, code, err }, "Failed to reach upstream");
    sendPage(req, res, upstreamFailedPage(app, code));
  });

  // The client went away before the response finished: stop the upstream work too.
  res.once("close", () => {
    if (!res.writableFinished) proxyReq.destroy();
  });

  if (bodyless) {
    proxyReq.end();
  } else {
    req.on("error", () => proxyReq.destroy());
    req.pipe(proxyReq);
  }
}
