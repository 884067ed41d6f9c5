import { type IncomingMessage, request, type ServerResponse } from "node:http";
import { clientResponseHeaders, hasNoBody, isReplayable, upstreamRequestHeaders } from "./headers.ts";
import { renderPage, type StatusPage } from "./pages.ts";
import { upstreamFailedPage } from "./status-pages.ts";
import type { ProxyContext } from "./types.ts";
import { armConnectTimeout, armResponseTimeout, failureCode, type UpstreamAddress } from "./upstream.ts";

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
 * Called when an idempotent bodyless request failed before any response; returns true when it took the
 * request over (to replay it), false to let the 502 page go out.
 */
export type Retry = (failed: UpstreamAddress, err: Error, reusedSocket: boolean) => boolean;

/** Streams one request to the upstream and its response back, without buffering either body. */
export function proxyHttp(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  upstream: UpstreamAddress,
  app: string,
  retry?: Retry,
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
  armResponseTimeout(proxyReq, ctx.responseTimeoutMs);

  proxyReq.on("response", (proxyRes) => {
    res.writeHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage, clientResponseHeaders(proxyRes));
    // An upstream that dies mid-body must cut the client's response, not leave it hanging as complete.
    proxyRes.on("error", () => res.destroy());
    proxyRes.pipe(res);
  });

  proxyReq.on("error", (err) => {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    if (isReplayable(req) && retry?.(upstream, err, proxyReq.reusedSocket) === true) return;
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
