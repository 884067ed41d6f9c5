import { type IncomingMessage, request } from "node:http";
import type { Socket } from "node:net";
import { confineCookie, cookieHost } from "./cookie-scope.ts";
import { upgradeRequestHeaders } from "./headers.ts";
import { rawResponse, reasonPhrase, type StatusPage } from "./pages.ts";
import type { ProxyRequest } from "./proxy-request.ts";
import { upstreamFailedPage } from "./status-pages.ts";
import type { ProxyContext } from "./types.ts";
import { armConnectTimeout, failureCode, type UpstreamAddress } from "./upstream.ts";

/** Answers an upgrade request with a router page and closes the socket. */
export function sendRawPage(req: ProxyRequest, socket: Socket, page: StatusPage): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(rawResponse(page, req.headers.accept));
  // Read (and drop) what the client still sends, so that its close is seen and the socket goes away.
  socket.resume();
}

interface HeadOf {
  readonly status: number;
  readonly message: string | undefined;
  readonly rawHeaders: string[];
  /** The request's host, which the app's cookies may not reach beyond (cookie-scope.ts). */
  readonly host: string;
  readonly appsDomain: string;
}

function rawHead({ status, message, rawHeaders, host, appsDomain }: HeadOf, skip?: RegExp): string {
  let head = `HTTP/1.1 ${status} ${message ?? reasonPhrase(status)}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    if (skip?.test(name) === true) continue;
    const value = rawHeaders[i + 1] ?? "";
    const sent = name.toLowerCase() === "set-cookie" ? confineCookie(value, host, appsDomain) : value;
    head += `${name}: ${sent}\r\n`;
  }
  // A refused upgrade (skip given) is relayed with a close-delimited body.
  return skip === undefined ? `${head}\r\n` : `${head}connection: close\r\n\r\n`;
}

// A refused upgrade is relayed with a close-delimited body, so its own framing headers must go.
const REFUSAL_SKIP = /^(?:connection|keep-alive|transfer-encoding|content-length|upgrade)$/i;

/**
 * Passes a WebSocket (or any HTTP/1.1 Upgrade) through: the upstream's 101 is relayed, then bytes flow both
 * ways untouched until either side closes. Upgrades use a dedicated connection, never the keep-alive pool.
 */
export function proxyUpgrade(
  ctx: ProxyContext,
  req: ProxyRequest,
  socket: Socket,
  head: Buffer,
  upstream: UpstreamAddress,
  app: string,
  track: (s: Socket) => void,
): void {
  const host = cookieHost(req.headers.host);
  const headOf = (res: IncomingMessage): HeadOf => ({
    status: res.statusCode ?? 502,
    message: res.statusMessage,
    rawHeaders: res.rawHeaders,
    host,
    appsDomain: ctx.appsDomain,
  });
  socket.on("error", () => socket.destroy());
  const proxyReq = request({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers: upgradeRequestHeaders(req),
    agent: false,
  });
  armConnectTimeout(proxyReq, ctx.connectTimeoutMs);

  proxyReq.on("upgrade", (proxyRes, proxySocket, proxyHead) => {
    proxySocket.on("error", () => socket.destroy());
    proxySocket.on("close", () => socket.destroy());
    socket.on("close", () => proxySocket.destroy());
    if (!socket.writable) {
      proxySocket.destroy();
      return;
    }
    track(socket);
    proxySocket.setNoDelay(true);
    proxySocket.setTimeout(0);
    socket.write(rawHead({ ...headOf(proxyRes), status: 101 }));
    if (proxyHead.length > 0) socket.write(proxyHead);
    if (head.length > 0) proxySocket.write(head);
    proxySocket.pipe(socket);
    socket.pipe(proxySocket);
  });

  proxyReq.on("response", (proxyRes) => {
    socket.write(rawHead(headOf(proxyRes), REFUSAL_SKIP));
    proxyRes.on("error", () => socket.destroy());
    proxyRes.pipe(socket);
  });

  proxyReq.on("error", (err) => {
    const code = failureCode(err);
    ctx.logger.warn({ app, upstream, code, err }, "Failed to reach upstream for upgrade");
    sendRawPage(req, socket, upstreamFailedPage(app, code));
  });

  socket.once("close", () => proxyReq.destroy());
  proxyReq.end();
}
