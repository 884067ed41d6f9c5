import { confineCookie } from "./cookie-scope.ts";
import type { ProxyRequest } from "./proxy-request.ts";

// Headers are copied as raw [name, value, name, value, …] arrays: that keeps repeated fields and their
// spelling. llhttp has validated every field on the way in, so they are written as they are (ADR 0120).

// RFC 9110 §7.6.1 connection-specific fields, plus the non-standard ones clients still send. `expect` is
// dropped too: the router's client connection already answered `100 Continue`.
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

// The router is the edge: what a client claims in these is replaced, X-Forwarded-For too (ADR 0139): a
// client-sent chain would let any visitor pick the address an app logs, rate-limits or allow-lists.
const FORWARDED = new Set(["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"]);
const NONE = new Set<string>();

// Only names of these lengths can be hop-by-hop or X-Forwarded-*: the others are never lower-cased.
const DROPPED_LENGTHS = new Set([...HOP_BY_HOP, ...FORWARDED].map((name) => name.length));

// Clients send a handful of distinct Connection values ("keep-alive", "Upgrade"): parse each once.
const tokensOf = new Map<string, Set<string> | undefined>();
const MAX_CACHED = 256;

// The last value looked up: an upstream sends the same one on every response ("keep-alive"), and comparing
// it spares hashing a new string per response for the map.
let lastValue = "";
let lastTokens: Set<string> | undefined;

/** Field names a Connection header adds to the hop-by-hop ones; undefined when it adds none. */
function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === lastValue) return lastTokens;
  lastValue = value;
  lastTokens = tokensOf.has(value) ? tokensOf.get(value) : parseTokens(value);
  return lastTokens;
}

function parseTokens(value: string): Set<string> | undefined {
  const tokens = new Set(value.split(",").map((t) => t.trim().toLowerCase()));
  for (const token of tokens) if (HOP_BY_HOP.has(token)) tokens.delete(token);
  const named = tokens.size === 0 ? undefined : tokens;
  if (tokensOf.size >= MAX_CACHED) tokensOf.clear();
  tokensOf.set(value, named);
  return named;
}

/**
 * The lower-case name of a field that may not be forwarded; undefined for one that certainly is (with no
 * names from Connection, only fields of a hop-by-hop or X-Forwarded-* length are lower-cased).
 */
function candidateName(name: string, named: Set<string> | undefined): string | undefined {
  return named === undefined && !DROPPED_LENGTHS.has(name.length) ? undefined : name.toLowerCase();
}

/** Whether a field is not forwarded: hop-by-hop, named in Connection, or one the router sets itself. */
function dropped(lower: string | undefined, named: Set<string> | undefined, skip: Set<string>): boolean {
  return lower !== undefined && (HOP_BY_HOP.has(lower) || skip.has(lower) || named?.has(lower) === true);
}

/** X-Forwarded-* as the edge sets them: [name, value, …]. */
function forwardedFields(req: ProxyRequest): string[] {
  const fields = ["x-forwarded-for", req.edge.remoteAddress, "x-forwarded-proto", req.edge.proto];
  if (req.headers.host !== undefined) fields.push("x-forwarded-host", req.headers.host);
  fields.push("x-forwarded-port", req.edge.port);
  return fields;
}

/** Headers for the upstream of an upgrade (http.request): end-to-end ones, X-Forwarded-*, the Upgrade. */
export function upgradeRequestHeaders(req: ProxyRequest): string[] {
  const raw = req.rawHeaders;
  const named = connectionTokens(req.headers.connection);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (!dropped(candidateName(name, named), named, FORWARDED)) out.push(name, raw[i + 1] as string);
  }
  out.push(...forwardedFields(req), "connection", "upgrade");
  if (req.headers.upgrade !== undefined) out.push("upgrade", req.headers.upgrade);
  return out;
}

/** What to write to the upstream for a plain (not upgrade) request, and how its body must be framed. */
export interface UpstreamHead {
  /** Request line and header block, to be written as latin1: llhttp's fields hold the bytes that way. */
  readonly text: string;
  readonly bodyless: boolean;
  /** The client's body was chunked (llhttp decoded it): it must be re-chunked on the way up. */
  readonly chunked: boolean;
}

/** The request head for the upstream, written straight into one string (the hot path). */
export function upstreamRequestHead(req: ProxyRequest): UpstreamHead {
  const chunked = isChunkedOnly(req);
  let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
  text += endToEndText(req.rawHeaders, connectionTokens(req.headers.connection), FORWARDED).text;
  const forwarded = forwardedFields(req);
  for (let i = 0; i + 1 < forwarded.length; i += 2) text += `${forwarded[i]}: ${forwarded[i + 1]}\r\n`;
  // llhttp decoded a chunked body; say chunked explicitly so that any method keeps its body.
  if (chunked) text += "transfer-encoding: chunked\r\n";
  return { text: `${text}\r\n`, bodyless: hasNoBody(req), chunked };
}

/** Field lines ("name: value\r\n…") and whether a Content-Length is among them. */
export interface FieldsText {
  readonly text: string;
  readonly hasLength: boolean;
}

/** Field lines, as FieldsText, and the Connection value(s) among the fields, joined by ", ". */
interface EndToEndText extends FieldsText {
  readonly connection: string | undefined;
}

/** Where a response's cookies may reach (cookie-scope.ts); undefined for requests, whose fields go as sent. */
interface CookieScope {
  readonly host: string;
  readonly appsDomain: string;
}

function endToEndText(
  raw: string[],
  named: Set<string> | undefined,
  skip: Set<string>,
  cookies?: CookieScope,
): EndToEndText {
  let text = "";
  let hasLength = false;
  let connection: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = candidateName(name, named);
    if (lower === "connection") connection = connection === undefined ? value : `${connection}, ${value}`;
    if (dropped(lower, named, skip)) continue;
    if (isContentLength(name)) hasLength = true;
    const sent =
      cookies !== undefined && lower === "set-cookie"
        ? confineCookie(value, cookies.host, cookies.appsDomain)
        : value;
    text += `${name}: ${sent}\r\n`;
  }
  return { text, hasLength, connection };
}

/**
 * Field lines for the client response, from the upstream's raw [name, value, …] fields: the client side
 * re-frames the body itself (length or chunked, client-response.ts). One pass in the usual case; a
 * Connection header that names further fields to drop (rare) costs a second one.
 */
export function clientResponseFields(raw: string[], cookies: CookieScope): FieldsText {
  const first = endToEndText(raw, undefined, NONE, cookies);
  const named = connectionTokens(first.connection);
  return named === undefined ? first : endToEndText(raw, named, NONE, cookies);
}

function isContentLength(name: string): boolean {
  return name.length === 14 && name.toLowerCase() === "content-length";
}

function isChunkedOnly(req: ProxyRequest): boolean {
  return req.headers["transfer-encoding"] !== undefined && req.headers["content-length"] === undefined;
}

/**
 * True when the request's body length cannot be known: a Transfer-Encoding whose last coding is not
 * chunked (RFC 9112 §6.3 says answer 400 and close). Read to the end of the connection, as such a body
 * would be, it held the connection until a timeout, and the app behind might frame it differently.
 */
export function hasUnframedBody(req: ProxyRequest): boolean {
  const codings = req.headers["transfer-encoding"];
  if (codings === undefined) return false;
  return codings.split(",").at(-1)?.trim().toLowerCase() !== "chunked";
}

/** True when a request carries no body (nothing to stream, nothing consumed if it has to be sent again). */
export function hasNoBody(req: ProxyRequest): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0");
}

// RFC 9110 §9.2.2: sending these twice has the effect of sending them once.
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "DELETE", "TRACE"]);

/** True when a failed request may be sent again: idempotent and without a body. */
export function isReplayable(req: ProxyRequest): boolean {
  return IDEMPOTENT.has(req.method ?? "") && hasNoBody(req);
}
