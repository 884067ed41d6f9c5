import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from "node:http";

// RFC 9110 §7.6.1 connection-specific fields, plus the non-standard ones clients still send. `expect` is
// dropped too: the router's own server already answered `100 Continue`.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
]);

// The router is the edge: what a client claims in these is replaced, except X-Forwarded-For, appended to.
const FORWARDED = new Set(["x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"]);

function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const tokens = value.split(",").map((t) => t.trim().toLowerCase());
  return tokens.length === 0 ? undefined : new Set(tokens);
}

function copyEndToEnd(headers: IncomingHttpHeaders, skip: Set<string>): OutgoingHttpHeaders {
  const named = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const key in headers) {
    if (HOP_BY_HOP.has(key) || skip.has(key) || named?.has(key) === true) continue;
    out[key] = headers[key];
  }
  return out;
}

/** Headers for the upstream request: end-to-end ones, the original Host, and X-Forwarded-*. */
export function upstreamRequestHeaders(req: IncomingMessage, upgrade: boolean): OutgoingHttpHeaders {
  const out = copyEndToEnd(req.headers, FORWARDED);
  const remote = req.socket.remoteAddress ?? "";
  const prior = req.headers["x-forwarded-for"];
  out["x-forwarded-for"] = prior === undefined ? remote : `${prior}, ${remote}`;
  out["x-forwarded-proto"] = "encrypted" in req.socket && req.socket.encrypted === true ? "https" : "http";
  if (req.headers.host !== undefined) out["x-forwarded-host"] = req.headers.host;
  out["x-forwarded-port"] = String(req.socket.localPort ?? "");
  if (upgrade) {
    out.connection = "upgrade";
    if (req.headers.upgrade !== undefined) out.upgrade = req.headers.upgrade;
  } else if (req.headers["transfer-encoding"] !== undefined && req.headers["content-length"] === undefined) {
    // Node only chunk-encodes POST-like methods by default; say it explicitly so any method keeps its body.
    out["transfer-encoding"] = "chunked";
  }
  return out;
}

/** Headers for the client response: Node's server re-frames the body itself (length or chunked). */
export function clientResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return copyEndToEnd(headers, EMPTY);
}

const EMPTY = new Set<string>();

/** True when a request carries no body, so it can be replayed on a fresh connection. */
export function hasNoBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0");
}
