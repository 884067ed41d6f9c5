/** A page the router answers with itself, instead of the app. */
export interface StatusPage {
  readonly status: number;
  /** Stable code, also in the JSON problem, so scripts can tell the cases apart. */
  readonly code: string;
  readonly title: string;
  /** What is going on. */
  readonly detail: string;
  /** What the visitor can do about it. */
  readonly hint: string;
  readonly retryAfterSeconds?: number;
  /** Reload the HTML page after this many seconds (a build that finishes then shows the app). */
  readonly refreshSeconds?: number;
}

export interface RenderedPage {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const REASONS: Readonly<Record<number, string>> = {
  400: "Bad Request",
  404: "Not Found",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? "Error";
}

/** JSON problem when the client asks for JSON and not for HTML; friendly HTML otherwise. */
export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return /application\/(?:problem\+)?json/i.test(accept) && !/text\/html/i.test(accept);
}

export function renderPage(page: StatusPage, accept: string | undefined): RenderedPage {
  const json = wantsJson(accept);
  const body = json ? renderProblem(page) : renderHtml(page);
  const headers: Record<string, string> = {
    "content-type": json ? "application/problem+json" : "text/html; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
    "x-kli8nt-router": page.code,
  };
  if (page.retryAfterSeconds !== undefined) headers["retry-after"] = String(page.retryAfterSeconds);
  return { status: page.status, headers, body };
}

function renderProblem(page: StatusPage): string {
  return JSON.stringify({
    type: `https://kli8nt.dev/problems/${page.code.toLowerCase().replaceAll("_", "-")}`,
    title: page.title,
    status: page.status,
    detail: page.detail,
    hint: page.hint,
    code: page.code,
  });
}

function renderHtml(page: StatusPage): string {
  const refresh =
    page.refreshSeconds === undefined ? "" : `<meta http-equiv="refresh" content="${page.refreshSeconds}">`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${refresh}<title>${escapeHtml(page.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}small{color:#777}</style></head>
<body><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.detail)}</p><p>${escapeHtml(page.hint)}</p>
<p><small>${page.status} ${reasonPhrase(page.status)} · ${page.code} · Kli8nt router</small></p></body></html>
`;
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** The same page as raw HTTP/1.1 bytes, for sockets that never became a ServerResponse. */
export function rawResponse(page: StatusPage, accept: string | undefined): string {
  const rendered = renderPage(page, accept);
  let head = `HTTP/1.1 ${rendered.status} ${reasonPhrase(rendered.status)}\r\nconnection: close\r\n`;
  for (const [name, value] of Object.entries(rendered.headers)) head += `${name}: ${value}\r\n`;
  return `${head}\r\n${rendered.body}`;
}
