import { LATENCY_BOUNDS_MS } from "@kli8nt/router/request-metrics";
import { describe, expect, it } from "vitest";
import { IngressMinutes, routerBuckets } from "./ingress-minutes.ts";
import { traefikDialect } from "./ingress-prometheus.ts";

const series = 'code="200",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes"';
const scrape = (ok: number, le100: number, le300: number, sum: number) =>
  [
    `traefik_service_requests_total{${series}} ${ok}`,
    `traefik_service_requests_total{code="500",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes"} 1`,
    `traefik_service_request_duration_seconds_bucket{${series},le="0.1"} ${le100}`,
    `traefik_service_request_duration_seconds_bucket{${series},le="0.3"} ${le300}`,
    `traefik_service_request_duration_seconds_bucket{${series},le="1.2"} ${ok}`,
    `traefik_service_request_duration_seconds_bucket{${series},le="5"} ${ok}`,
    `traefik_service_request_duration_seconds_bucket{${series},le="+Inf"} ${ok}`,
    `traefik_service_request_duration_seconds_sum{${series}} ${sum}`,
  ].join("\n");

describe("ingress scrapes as per-minute points", () => {
  it("puts each controller bucket into the first router bucket at or above its bound", () => {
    const buckets = routerBuckets(
      new Map([
        [0.1, 6],
        [0.3, 9],
        [1.2, 10],
        [5, 10],
        [Number.POSITIVE_INFINITY, 11],
      ]),
    );
    expect(buckets).toHaveLength(LATENCY_BOUNDS_MS.length + 1);
    expect(buckets[LATENCY_BOUNDS_MS.indexOf(100)]).toBe(6);
    expect(buckets[LATENCY_BOUNDS_MS.indexOf(500)]).toBe(3);
    expect(buckets[LATENCY_BOUNDS_MS.indexOf(2500)]).toBe(1);
    expect(buckets.at(-1)).toBe(1);
    expect(buckets.reduce((a, b) => a + b, 0)).toBe(11);
  });

  it("the first scrape is the baseline; the next gives the minute's increase", () => {
    const minutes = new IngressMinutes(traefikDialect("kli8nt-"));
    expect(minutes.next(scrape(100, 60, 90, 12), new Date("2026-12-04T21:00:05Z"))).toEqual([]);
    const [point] = minutes.next(scrape(130, 80, 115, 15.5), new Date("2026-12-04T21:01:07Z"));
    expect(point).toMatchObject({
      app: "shop",
      process: "web",
      minute: "2026-12-04T21:01:00.000Z",
      requests: 30,
      status: { "2xx": 30, "5xx": 0 },
      latencySumMs: 3500,
    });
    expect(point?.latencyBuckets[LATENCY_BOUNDS_MS.indexOf(100)]).toBe(20);
    expect(point?.latencyBuckets[LATENCY_BOUNDS_MS.indexOf(500)]).toBe(5);
    expect(point?.latencyBuckets[LATENCY_BOUNDS_MS.indexOf(2500)]).toBe(5);
    // Nothing new: no point at all.
    expect(minutes.next(scrape(130, 80, 115, 15.5), new Date("2026-12-04T21:02:07Z"))).toEqual([]);
  });
});
