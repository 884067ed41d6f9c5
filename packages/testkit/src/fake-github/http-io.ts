import type { IncomingMessage, ServerResponse } from "node:http";

export const DOCS_URL = "https://docs.github.com/rest";

/** Reads the whole request body; refuses bodies over `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = 5 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new Error("request body too large");
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON or form-encoded body into a flat record, as GitHub accepts both on its OAuth endpoints. */
export function parseParams(req: IncomingMessage, body: Buffer): Record<string, unknown> {
  const type = req.headers["content-type"] ?? "";
  const text = body.toString("utf8");
  if (text.trim() === "") return {};
  if (type.includes("application/json")) {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  }
  return Object.fromEntries(new URLSearchParams(text));
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = status === 204 ? "" : JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** GitHub's REST error shape: `{ message, documentation_url }` (plus `errors` for 422). */
export function sendGitHubError(
  res: ServerResponse,
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { message, documentation_url: DOCS_URL, status: String(status), ...extra }, headers);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * The token a request carries, in any form GitHub accepts: `Authorization: token X`, `Bearer X`, or
 * HTTP Basic where either the username or the password is the token (git uses `x-access-token:X`).
 */
export function tokenFromRequest(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const [scheme = "", ...rest] = header.trim().split(/\s+/);
  const value = rest.join(" ");
  const lower = scheme.toLowerCase();
  if (lower === "token" || lower === "bearer") return value || undefined;
  if (lower === "basic") return tokenFromBasic(value);
  return undefined;
}

function tokenFromBasic(value: string): string | undefined {
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
  const password = colon >= 0 ? decoded.slice(colon + 1) : "";
  // GitHub takes the token as the password (x-access-token:<t>) or as the username (<t>:x-oauth-basic).
  return password !== "" && password !== "x-oauth-basic" ? password : user || undefined;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
