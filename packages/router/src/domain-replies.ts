import type { RenderedPage } from "./pages.ts";
import type { ProxyRequest } from "./proxy-request.ts";

const CHALLENGE_PREFIX = "/.well-known/acme-challenge/";
// RFC 8555 §8.1: a token is base64url; anything else is not ours to answer.
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export function isChallengePath(url: string): boolean {
  return url.startsWith(CHALLENGE_PREFIX);
}

/** The HTTP-01 token a challenge path asks for, or null for a malformed one. */
export function challengeToken(url: string): string | null {
  const token = url.slice(CHALLENGE_PREFIX.length);
  return TOKEN.test(token) ? token : null;
}

/** The key authorization the CA expects, as text/plain (RFC 8555 §8.3). */
export function challengeReply(keyAuthorization: string): RenderedPage {
  return {
    status: 200,
    headers: {
      "content-type": "text/plain",
      "content-length": String(Buffer.byteLength(keyAuthorization)),
      "cache-control": "no-store",
    },
    body: keyAuthorization,
  };
}

/**
 * 308 to the same path and query over HTTPS: the method and body are kept (a 301 may turn a POST into a
 * GET). The TLS port is named unless it is 443.
 */
export function httpsRedirect(req: ProxyRequest, host: string, tlsPort: number): RenderedPage {
  const port = tlsPort === 443 ? "" : `:${tlsPort}`;
  const location = `https://${host}${port}${req.url ?? "/"}`;
  const body = `Moved to ${location}\n`;
  return {
    status: 308,
    headers: {
      location,
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(Buffer.byteLength(body)),
      "x-kli8nt-router": "HTTPS_REDIRECT",
    },
    body,
  };
}

const REASONS: Readonly<Record<number, string>> = { 200: "OK", 308: "Permanent Redirect" };

/** A reply as raw HTTP/1.1 bytes, for an upgrade request's socket. */
export function rawReply(reply: RenderedPage): string {
  let head = `HTTP/1.1 ${reply.status} ${REASONS[reply.status] ?? "OK"}\r\nconnection: close\r\n`;
  for (const [name, value] of Object.entries(reply.headers)) head += `${name}: ${value}\r\n`;
  return `${head}\r\n${reply.body}`;
}

export function replyReason(status: number): string {
  return REASONS[status] ?? "OK";
}
