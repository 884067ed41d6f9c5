import type { RequestMetrics } from "./request-metrics.ts";
import type { SweepClock } from "./sweep-clock.ts";
import type { UpstreamPool } from "./upstream-pool.ts";
import type { UpstreamHealth } from "./upstream-set.ts";

/** The subset of a pino logger the router uses; a pino Logger fits as is. */
export interface RouterLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the proxy functions share, built once per router. */
export interface ProxyContext {
  /** Apps are at `<app>.<appsDomain>`: their cookies may not name it or its parents (cookie-scope.ts). */
  readonly appsDomain: string;
  /** Keep-alive connections for plain requests; upgrades get their own connection. */
  readonly pool: UpstreamPool;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  /** Arms the response deadline; the client connection's sweep checks it. */
  readonly clock: SweepClock;
  readonly logger: RouterLogger;
  /** Which upstreams refused or dropped a connection lately, skipped on routes with several. */
  readonly health: UpstreamHealth;
  /** Counts completed requests per app when the router was given a metrics sink; null costs nothing. */
  readonly metrics: RequestMetrics | null;
}

export const silentLogger: RouterLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
