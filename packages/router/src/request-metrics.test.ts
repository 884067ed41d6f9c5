import { describe, expect, it } from "vitest";
import {
  LATENCY_BOUNDS_MS,
  type MetricsClock,
  percentile,
  RequestMetrics,
  type RequestMinute,
} from "./request-metrics.ts";

// The aggregator on its own, with an injected clock: minute boundaries and failures are set up exactly.

const T0 = Date.parse("2026-12-04T12:00:30.000Z");

function fakeClock(): MetricsClock & { advance(ms: number): void } {
  let mono = 1000;
  let wall = T0;
  return {
    monotonicMs: () => mono,
    wallMs: () => wall,
    advance(ms) {
      mono += ms;
      wall += ms;
    },
  };
}

function metricsWith(clock: MetricsClock, sink: (m: RequestMinute[]) => Promise<void> | void) {
  return new RequestMetrics({ sink, clock });
}

const bucketOf = (ms: number): number => {
  const i = LATENCY_BOUNDS_MS.findIndex((b) => ms <= b);
  return i === -1 ? LATENCY_BOUNDS_MS.length : i;
};

describe("RequestMetrics", () => {
  it("counts requests per app by status class and latency bucket, with the latency sum", async () => {
    const clock = fakeClock();
    const got: RequestMinute[] = [];
    const metrics = metricsWith(clock, (m) => void got.push(...m));
    const cases: [string, number, number][] = [
      ["shop", 200, 0.4],
      ["shop", 204, 1],
      ["shop", 301, 3],
      ["shop", 404, 30],
      ["shop", 503, 12_000],
      ["blog", 200, 7],
    ];
    for (const [app, status, ms] of cases) {
      const started = metrics.now();
      clock.advance(ms);
      metrics.record(app, status, started);
    }
    await metrics.flush();
    const shop = got.find((m) => m.app === "shop");
    expect(shop).toMatchObject({
      process: "web",
      minute: "2026-12-04T12:00:00.000Z",
      requests: 5,
      status: { "1xx": 0, "2xx": 2, "3xx": 1, "4xx": 1, "5xx": 1 },
    });
    const expected = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    for (const ms of [0.4, 1, 3, 30, 12_000]) expected[bucketOf(ms)] = (expected[bucketOf(ms)] ?? 0) + 1;
    expect(shop?.latencyBuckets).toEqual(expected);
    // Latencies are measured in 10 µs ticks.
    expect(shop?.latencySumMs).toBeCloseTo(0.4 + 1 + 3 + 30 + 12_000, 2);
    expect(got.find((m) => m.app === "blog")?.requests).toBe(1);
    // Counts are handed over once: a second flush with no traffic sends nothing.
    got.length = 0;
    await metrics.flush();
    expect(got).toEqual([]);
  });

  it("puts a request in the minute it completed in, also between flushes", async () => {
    const clock = fakeClock();
    const got: RequestMinute[] = [];
    const metrics = metricsWith(clock, (m) => void got.push(...m));
    metrics.record("shop", 200, metrics.now());
    clock.advance(29_999);
    metrics.record("shop", 200, metrics.now());
    clock.advance(1);
    metrics.record("shop", 500, metrics.now());
    await metrics.flush();
    expect(got.map((m) => [m.minute, m.requests, m.status["5xx"]])).toEqual([
      ["2026-12-04T12:00:00.000Z", 2, 0],
      ["2026-12-04T12:01:00.000Z", 1, 1],
    ]);
    // A flush after a quiet minute boundary labels what it holds with the minute it was counted in.
    got.length = 0;
    metrics.record("shop", 200, metrics.now());
    clock.advance(120_000);
    await metrics.flush();
    expect(got.map((m) => m.minute)).toEqual(["2026-12-04T12:01:00.000Z"]);
  });

  it("measures across the wrap of its 10 µs ticks (every 2^30 of them, about 3 hours)", async () => {
    const clock = fakeClock();
    clock.advance(2 ** 30 / 100 - 1000 - 2);
    const got: RequestMinute[] = [];
    const metrics = metricsWith(clock, (m) => void got.push(...m));
    const started = metrics.now();
    clock.advance(7);
    metrics.record("shop", 200, started);
    await metrics.flush();
    expect(got[0]?.latencySumMs).toBeCloseTo(7, 2);
  });

  it("keeps the minutes of a failed flush for the next one", async () => {
    const clock = fakeClock();
    const got: RequestMinute[] = [];
    const errors: unknown[] = [];
    let fail = true;
    const metrics = new RequestMetrics({
      clock,
      onError: (err) => errors.push(err),
      sink: (m) => {
        if (fail) throw new Error("database down");
        got.push(...m);
      },
    });
    metrics.record("shop", 200, metrics.now());
    await metrics.flush();
    expect(errors).toHaveLength(1);
    fail = false;
    metrics.record("shop", 200, metrics.now());
    await metrics.flush();
    expect(got.reduce((n, m) => n + m.requests, 0)).toBe(2);
  });

  it("counts at most maxApps apps at once", async () => {
    const clock = fakeClock();
    const got: RequestMinute[] = [];
    const metrics = new RequestMetrics({ clock, maxApps: 2, sink: (m) => void got.push(...m) });
    for (const app of ["a", "b", "c"]) metrics.record(app, 200, metrics.now());
    expect(metrics.uncounted).toBe(1);
    await metrics.flush();
    expect(got.map((m) => m.app).sort()).toEqual(["a", "b"]);
  });

  it("reads percentiles as the upper bound of the bucket that holds them", () => {
    const buckets = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    buckets[bucketOf(3)] = 90;
    buckets[bucketOf(80)] = 9;
    buckets[LATENCY_BOUNDS_MS.length] = 1;
    expect(percentile(buckets, 0.5)).toBe(5);
    expect(percentile(buckets, 0.95)).toBe(100);
    expect(percentile(buckets, 0.99)).toBe(100);
    expect(percentile(buckets, 1)).toBe(10_000);
    expect(
      percentile(
        buckets.map(() => 0),
        0.5,
      ),
    ).toBeNull();
  });
});
