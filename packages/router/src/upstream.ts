import type { ClientRequest } from "node:http";
import { UnavailableError } from "@kli8nt/core";

export interface UpstreamAddress {
  readonly hostname: string;
  readonly port: number;
}

// Routes change rarely and are read on every request: parse each URL once.
const parsed = new Map<string, UpstreamAddress | null>();
const MAX_CACHED = 1024;

/** host and port of an http: upstream URL, or null when the URL is not one the router can use. */
export function upstreamAddress(url: string): UpstreamAddress | null {
  const cached = parsed.get(url);
  if (cached !== undefined) return cached;
  const address = parse(url);
  if (parsed.size >= MAX_CACHED) parsed.clear();
  parsed.set(url, address);
  return address;
}

function parse(url: string): UpstreamAddress | null {
  if (!URL.canParse(url)) return null;
  const u = new URL(url);
  if (u.protocol !== "http:") return null;
  // URL keeps the brackets of an IPv6 literal; net.connect wants the bare address.
  const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  return { hostname, port: u.port === "" ? 80 : Number(u.port) };
}

/**
 * node:http has no connect timeout of its own (its `timeout` is an idle timeout that also fires on slow
 * responses), so time only the TCP connect and destroy the request when it takes too long.
 */
export function armConnectTimeout(req: ClientRequest, ms: number): void {
  req.once("socket", (socket) => {
    if (!socket.connecting) return;
    const timer = setTimeout(() => {
      req.destroy(
        new UnavailableError(
          "UPSTREAM_CONNECT_TIMEOUT",
          `upstream did not accept the connection in ${ms} ms`,
        ),
      );
    }, ms);
    const clear = (): void => clearTimeout(timer);
    socket.once("connect", clear);
    socket.once("close", clear);
  });
}

/** A stable code for an upstream failure: ours, or the system error code. */
export function failureCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string")
    return err.code;
  return undefined;
}

/** Errors that mean a reused keep-alive socket had been closed by the upstream just before we wrote. */
export function isStaleSocketError(err: unknown): boolean {
  const code = failureCode(err);
  return code === "ECONNRESET" || code === "EPIPE";
}
