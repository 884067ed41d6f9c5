import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { CliError } from "./api-client.ts";
import { openInBrowser } from "./browser-opener.ts";

export interface LoopbackOptions {
  readonly url: string;
  /** Where to print the sign-in URL (always printed, in case no browser opens). */
  readonly print: (line: string) => void;
  readonly openBrowser: boolean;
  /** PATH, where the browser opener is looked for. */
  readonly searchPath?: string | undefined;
  readonly timeoutMs?: number;
}

const DONE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kli8nt CLI</title></head>
<body><h1>The Kli8nt CLI is logged in</h1><p>You can close this tab.</p></body></html>`;

/**
 * `gh auth login`-style browser login (ADR 0165): listen on 127.0.0.1:<random>, send the user to
 * `<url>/auth/cli?port&state&host`, and accept the token only on /callback with the same unguessable state.
 */
export async function loopbackLogin(options: LoopbackOptions): Promise<string> {
  const state = randomBytes(24).toString("base64url");
  let settle: { resolve: (token: string) => void; reject: (e: Error) => void } | undefined;
  const result = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const server = createServer((req, res) => {
    const query = new URL(req.url ?? "/", "http://127.0.0.1").searchParams;
    const token = query.get("token");
    if (!req.url?.startsWith("/callback") || !sameState(query.get("state"), state) || !token) {
      res.writeHead(400, { "content-type": "text/plain" }).end("Not the callback this CLI is waiting for\n");
      return;
    }
    res
      .writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" })
      .end(DONE_PAGE);
    settle?.resolve(token);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const host = hostname()
    .replace(/[^A-Za-z0-9._-]/g, "")
    .slice(0, 40);
  const target = new URL("/auth/cli", options.url);
  target.search = new URLSearchParams({ port: String(port), state, host }).toString();
  options.print(`Open this URL to log in (waiting for the browser):\n  ${target.href}\n`);
  if (options.openBrowser) openInBrowser(target.href, options.searchPath);
  const timer = setTimeout(
    () => settle?.reject(new CliError("Timed out waiting for the browser sign-in", "LOGIN_TIMEOUT")),
    options.timeoutMs ?? 300_000,
  );
  try {
    return await result;
  } finally {
    clearTimeout(timer);
    server.close();
    server.closeAllConnections();
  }
}

function sameState(given: string | null, expected: string): boolean {
  const a = Buffer.from(given ?? "");
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
