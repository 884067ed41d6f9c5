import type { DomainTable } from "./domain-table.ts";
import type { RequestMetricsOptions } from "./request-metrics.ts";
import type { RouteTable } from "./route-table.ts";
import type { RouterLogger } from "./types.ts";

export interface RouterOptions {
  /** Port to listen on; 0 picks a free one. Default 8000 (`KLI8NT_ROUTER_PORT`). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Apps are served at `<app>.<appsDomain>`. Default "localhost". */
  readonly appsDomain?: string;
  readonly table: RouteTable;
  readonly logger?: RouterLogger;
  /** How long the upstream may take to accept a TCP connection. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * How long the app may take to start answering once it has the whole request; 0 = no limit. Default 60 s.
   * This and the two below are checked by one sweep, once a second or a quarter of the shortest of them.
   */
  readonly responseTimeoutMs?: number;
  /** Largest request head accepted; bigger ones get 431. Default 16 KiB. */
  readonly maxHeaderSize?: number;
  /** How long a request head may take to arrive before a 408 (slowloris). Default 30 s. */
  readonly headersTimeoutMs?: number;
  /** How long a keep-alive connection may sit idle between requests. Default 5 s. */
  readonly keepAliveTimeoutMs?: number;
  /** How long a request body may go without a byte before a 408 (slow-loris bodies). Default 30 s. */
  readonly bodyTimeoutMs?: number;
  /**
   * Most client connections at once (including upgraded ones); one more is answered with a 503 page and
   * closed. Default 10 000 (`KLI8NT_ROUTER_MAX_CONNECTIONS`).
   */
  readonly maxConnections?: number;
  /** How long close() lets in-flight requests finish before cutting them. Default 5000 ms. */
  readonly closeGraceMs?: number;
  /**
   * How long a replica that refused a connection is skipped, on routes with several (ADR 0170). Default
   * 5000 ms.
   */
  readonly upstreamDownMs?: number;
  /**
   * Counts completed requests per app (status class, latency histogram) and hands them to `sink` per
   * minute, flushed every few seconds (ADR 0215). Without it the router counts nothing.
   */
  readonly metrics?: RequestMetricsOptions;
  /**
   * Custom domains (issue 25, ADR 0221): served as their app over HTTP, over HTTPS once they have a
   * certificate, and the ACME HTTP-01 challenges answered for any host.
   */
  readonly domains?: DomainTable;
  /**
   * Port of the HTTPS listener for custom domains (`KLI8NT_ROUTER_TLS_PORT`, 0 picks a free one); it only
   * starts with `domains`. Certificates come from the domain table by SNI.
   */
  readonly tlsPort?: number;
  /**
   * The HTTPS port visitors reach (a port forward or load balancer in front: 443 → 8443); what the 308
   * from HTTP names. Default: the port the router listens on.
   */
  readonly publicTlsPort?: number;
}

/** The options with every default filled in. */
export type RouterSettings = Required<
  Omit<RouterOptions, "port" | "host" | "logger" | "metrics" | "domains" | "tlsPort" | "publicTlsPort">
> & {
  readonly logger: RouterLogger;
};

export function routerSettings(options: RouterOptions, silent: RouterLogger): RouterSettings {
  return {
    table: options.table,
    appsDomain: (options.appsDomain ?? "localhost").toLowerCase(),
    logger: options.logger ?? silent,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    responseTimeoutMs: options.responseTimeoutMs ?? 60_000,
    // Uploads and downloads may stream for a long time; only a slow request head is cut (slowloris).
    headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
    // node:http's default.
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 5000,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 30_000,
    maxHeaderSize: options.maxHeaderSize ?? 16 * 1024,
    maxConnections: options.maxConnections ?? 10_000,
    closeGraceMs: options.closeGraceMs ?? 5000,
    upstreamDownMs: options.upstreamDownMs ?? 5000,
  };
}
