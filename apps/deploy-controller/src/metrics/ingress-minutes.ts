import { LATENCY_BOUNDS_MS } from "@kli8nt/router/request-metrics";
import {
  countersByApp,
  type IngressCounters,
  type IngressDialect,
  increase,
  parsePrometheusText,
} from "./ingress-prometheus.ts";

/** One app's requests of one minute, as the router's sink writes them (packages/db `RequestMinuteInput`). */
export interface IngressMinute {
  readonly app: string;
  readonly process: "web";
  readonly minute: string;
  readonly requests: number;
  readonly status: IngressCounters["status"];
  readonly latencyBuckets: number[];
  readonly latencySumMs: number;
}

/**
 * A controller's cumulative histogram (upper bound in seconds → count at or under it) as counts in the
 * router's buckets (ADR 0185). Each controller bucket goes to the first router bound at or above its own
 * bound: Traefik's 0.3 s counts as "≤ 500 ms", so percentiles read from it are upper bounds, never better
 * than the controller measured.
 */
export function routerBuckets(cumulative: ReadonlyMap<number, number>): number[] {
  const out = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  let below = 0;
  for (const le of [...cumulative.keys()].sort((a, b) => a - b)) {
    const count = cumulative.get(le) ?? 0;
    const inBucket = Math.max(0, count - below);
    below = Math.max(below, count);
    const index = LATENCY_BOUNDS_MS.findIndex((bound) => bound >= le * 1000);
    const at = index === -1 ? LATENCY_BOUNDS_MS.length : index;
    out[at] = (out[at] ?? 0) + inBucket;
  }
  return out;
}

/**
 * Scrapes of one ingress controller's metrics into per-minute points: each scrape is compared with the
 * previous one (the first only sets the baseline), and the increase is the minute's. Scrape once a minute;
 * a scrape that fails leaves the baseline, so the next one covers both minutes in one point.
 */
export class IngressMinutes {
  readonly #dialect: IngressDialect;
  #previous: Map<string, IngressCounters> | null = null;

  constructor(dialect: IngressDialect) {
    this.#dialect = dialect;
  }

  /** The minutes since the previous scrape, stamped with the minute `at` falls in. */
  next(text: string, at: Date): IngressMinute[] {
    const now = countersByApp(parsePrometheusText(text), this.#dialect);
    const before = this.#previous;
    this.#previous = now;
    if (!before) return [];
    const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000).toISOString();
    return [...increase(before, now)]
      .filter(([, c]) => c.requests > 0)
      .map(([app, c]) => ({
        app,
        process: "web",
        minute,
        requests: c.requests,
        status: c.status,
        latencyBuckets: routerBuckets(c.buckets),
        latencySumMs: Math.round(c.sumSeconds * 1000),
      }));
  }
}
