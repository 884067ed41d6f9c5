import type { IncomingMessage } from "node:http";

// Headers are copied as raw [name, value, name, value, …] arrays: that keeps repeated fields and their
// spelling, and node:http writes an array without re-validating every field, which is measurably cheaper
// per request than an object (see ADR 0071).

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

// The router is the edge: what a client claims in these is replaced; X-Forwarded-For is appended to.
const FORWARDED = new Set(["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"]);
const NONE = new Set<string>();

function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  return new Set(value.split(",").map((t) => t.trim().toLowerCase()));
}

function copyEndToEnd(raw: string[], named: Set<string> | undefined, skip: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || skip.has(lower) || named?.has(lower) === true) continue;
    out.push(name, raw[i + 1] as string);
  }
  return out;
}

/** Headers for the upstream request: end-to-end ones, the original Host, and X-Forwarded-*. */
export function upstreamRequestHeaders(req: IncomingMessage, upgrade: boolean): string[] {
  const out = copyEndToEnd(req.rawHeaders, connectionTokens(req.headers.connection), FORWARDED);
  const remote = req.socket.remoteAddress ?? "";
  // node:http has already joined repeated X-Forwarded-For lines with ", ".
  const prior = req.headers["x-forwarded-for"];
  out.push("x-forwarded-for", prior === undefined ? remote : `${prior}, ${remote}`);
  out.push(
    "x-forwarded-proto",
    "encrypted" in req.socket && req.socket.encrypted === true ? "https" : "http",
  );
  if (req.headers.host !== undefined) out.push("x-forwarded-host", req.headers.host);
  out.push("x-forwarded-port", String(req.socket.localPort ?? ""));
  if (upgrade) {
    out.push("connection", "upgrade");
    if (req.headers.upgrade !== undefined) out.push("upgrade", req.headers.upgrade);
  } else if (isChunkedOnly(req)) {
    // Node only chunk-encodes POST-like methods by default; say it explicitly so any method keeps its body.
    out.push("transfer-encoding", "chunked");
  }
  return out;
}

/** What to write to the upstream for a plain (not upgrade) request, and how its body must be framed. */
export interface UpstreamHead {
  /** Request line and header block, to be written as latin1: node's parser decoded the bytes that way. */
  readonly text: string;
  readonly bodyless: boolean;
  /** The client's body was chunked (node decoded it): it must be re-chunked on the way up. */
  readonly chunked: boolean;
}

export function upstreamRequestHead(req: IncomingMessage): UpstreamHead {
  const fields = upstreamRequestHeaders(req, false);
  let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
  for (let i = 0; i + 1 < fields.length; i += 2) text += `${fields[i]}: ${fields[i + 1]}\r\n`;
  return { text: `${text}\r\n`, bodyless: hasNoBody(req), chunked: isChunkedOnly(req) };
}

/**
 * Headers for the client response, from the upstream's raw [name, value, …] fields: Node's server
 * re-frames the body itself (length or chunked).
 */
export function clientResponseHeaders(raw: string[]): string[] {
  let connection: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).length === 10 && (raw[i] as string).toLowerCase() === "connection") {
      connection = connection === undefined ? raw[i + 1] : `${connection}, ${raw[i + 1]}`;
    }
  }
  return copyEndToEnd(raw, connectionTokens(connection), NONE);
}

function isChunkedOnly(req: IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined && req.headers["content-length"] === undefined;
}

/** True when a request carries no body (nothing to stream, nothing consumed if it has to be sent again). */
export function hasNoBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0");
}

// RFC 9110 §9.2.2: sending these twice has the effect of sending them once.
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "DELETE", "TRACE"]);

/** True when a failed request may be sent again: idempotent and without a body. */
export function isReplayable(req: IncomingMessage): boolean {
  return IDEMPOTENT.has(req.method ?? "") && hasNoBody(req);
}
