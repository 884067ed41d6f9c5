import { newId } from "@kli8nt/core";
import { schema, writeRequestMinutes, writeResourceSamples } from "@kli8nt/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LATENCY_BOUNDS_MS } from "../metrics/latency.ts";
import { countReconcileError, observeLogLag } from "../metrics/process-signals.ts";
import { ADMIN_TOKEN, bearer, createAppVia, deployVia, type Harness, startHarness } from "../test/harness.ts";

// The real api on PGlite: points stored with exact numbers come back merged per step, with percentiles
// from the merged histograms; bad ranges are problem+json; /metrics is the admin's.
let h: Harness;
let appId: string;
const T0 = Date.parse("2026-12-01T10:00:00Z");
beforeAll(async () => {
  h = await startHarness();
  appId = await createAppVia(h.app, h.alice.token, "graphs");
  const buckets = (at: Record<number, number>) =>
    LATENCY_BOUNDS_MS.map((_, i) => at[i] ?? 0).concat(at[99] ?? 0);
  const ms10 = LATENCY_BOUNDS_MS.indexOf(10);
  const ms100 = LATENCY_BOUNDS_MS.indexOf(100);
  const ms1000 = LATENCY_BOUNDS_MS.indexOf(1000);
  // Minute 0: 90 fast, 10 slow. Minute 1: 100 at 100 ms, 2 of them 500s.
  await writeRequestMinutes(h.database.db, [
    {
      app: "graphs",
      process: "web",
      minute: new Date(T0).toISOString(),
      requests: 100,
      status: { "1xx": 0, "2xx": 90, "3xx": 0, "4xx": 10, "5xx": 0 },
      latencyBuckets: buckets({ [ms10]: 90, [ms1000]: 10 }),
      latencySumMs: 90 * 8 + 10 * 900,
    },
    {
      app: "graphs",
      process: "web",
      minute: new Date(T0 + 60_000).toISOString(),
      requests: 100,
      status: { "1xx": 0, "2xx": 98, "3xx": 0, "4xx": 0, "5xx": 2 },
      latencyBuckets: buckets({ [ms100]: 100 }),
      latencySumMs: 100 * 80,
    },
  ]);
  await writeResourceSamples(h.database.db, [
    { appId, process: "web", at: new Date(T0 + 5_000), cpu: 0.2, memoryBytes: 50_000_000 },
  ]);
});
afterAll(async () => h?.close());

const get = (url: string, token = h.alice.token) => h.app.inject({ url, headers: bearer(token) });

describe("GET /api/apps/:name/metrics", () => {
  it("returns per-step points with percentiles over the merged histogram", async () => {
    const res = await get(`/api/apps/graphs/metrics?from=2026-12-01T10:00:00Z&to=${T0 / 1000 + 300}&step=60`);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ series: { process: string; points: Record<string, unknown>[] }[] }>();
    expect(body.series).toEqual([
      {
        process: "web",
        points: [
          {
            t: "2026-12-01T10:00:00.000Z",
            requests: 100,
            p50Ms: 10,
            p95Ms: 1000,
            p99Ms: 1000,
            status: { "1xx": 0, "2xx": 90, "3xx": 0, "4xx": 10, "5xx": 0 },
            cpu: 0.2,
            memoryBytes: 50_000_000,
            restarts: 0,
          },
          expect.objectContaining({ t: "2026-12-01T10:01:00.000Z", requests: 100, p50Ms: 100, p99Ms: 100 }),
        ],
      },
    ]);
    const merged = await get(`/api/apps/graphs/metrics?from=${T0 / 1000}&to=${T0 / 1000 + 300}&step=300`);
    const [point] =
      merged.json<{ series: { points: Record<string, unknown>[] }[] }>().series[0]?.points ?? [];
    // 200 requests: 90 ≤ 10 ms, 100 ≤ 100 ms, 10 ≤ 1 s.
    expect(point).toMatchObject({
      requests: 200,
      p50Ms: 100,
      p95Ms: 100,
      p99Ms: 1000,
      status: { "2xx": 188, "4xx": 10, "5xx": 2 },
    });
  });

  it("marks deploys on the time axis", async () => {
    const id = await deployVia(h.app, h.alice.token, "graphs");
    const res = await get("/api/apps/graphs/metrics");
    expect(res.json<{ deploys: { id: string }[] }>().deploys).toEqual([
      expect.objectContaining({ id, number: 1, state: "queued" }),
    ]);
  });

  it.each([
    ["from=yesterday", "from"],
    ["step=10", "step"],
    ["from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "before"],
    ["from=0&to=2000000000&step=60", "points"],
    ["bogus=1", "bogus"],
  ])("refuses %s with problem+json", async (query, word) => {
    const res = await get(`/api/apps/graphs/metrics?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.body).toContain(word);
  });

  it("is the owner's only", async () => {
    expect((await get("/api/apps/graphs/metrics", h.bob.token)).statusCode).toBe(404);
  });

  it("sums requests and 5xx per app for the dashboard", async () => {
    await writeRequestMinutes(h.database.db, [
      {
        app: "graphs",
        process: "web",
        minute: new Date(Date.now() - 60_000).toISOString(),
        requests: 7,
        status: { "1xx": 0, "2xx": 5, "3xx": 0, "4xx": 0, "5xx": 2 },
        latencyBuckets: [7],
        latencySumMs: 7,
      },
    ]);
    const res = await get("/api/metrics/summary");
    const [graphs] = res.json<{ apps: { app: string; points: { requests: number; errors: number }[] }[] }>()
      .apps;
    expect(graphs?.app).toBe("graphs");
    expect(graphs?.points).toHaveLength(24);
    expect(graphs?.points.reduce((n, p) => n + p.requests, 0)).toBe(7);
    expect(graphs?.points.reduce((n, p) => n + p.errors, 0)).toBe(2);
  });
});

describe("GET /metrics", () => {
  it("serves Prometheus text with the admin token only", async () => {
    expect((await h.app.inject({ url: "/metrics" })).statusCode).toBe(401);
    expect((await get("/metrics")).statusCode).toBe(401);
    const res = await get("/metrics", ADMIN_TOKEN);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^kli8nt_deployments_in_flight\{state="queued"\} 1$/m);
    expect(res.body).toContain("kli8nt_notification_deliveries");
    expect(res.body).toContain("kli8nt_api_process_cpu_seconds_total");
  });

  it("tells build and deploy times of deployments finished in the last hour", async () => {
    const queued = Date.now() - 600_000;
    const built = new Date(queued + 90_000).toISOString();
    await h.database.db.insert(schema.deployments).values({
      id: newId("dep"),
      appId,
      number: 90,
      state: "live",
      trigger: "manual",
      ref: "main",
      createdAt: new Date(queued),
      finishedAt: new Date(queued + 120_000),
      conditions: [
        { type: "building", status: "false", reason: "Built", message: "", lastTransitionTime: built },
      ],
    });
    const res = await get("/metrics", ADMIN_TOKEN);
    expect(res.body).toMatch(/^kli8nt_build_duration_seconds\{outcome="built",stat="max"\} 90$/m);
    expect(res.body).toMatch(/^kli8nt_deploy_duration_seconds\{outcome="live",stat="max"\} 30$/m);
  });

  it("counts reconcile errors and tells the log pipeline's lag, as the process's controllers report them", async () => {
    const before = await get("/metrics", ADMIN_TOKEN);
    const count = (body: string) =>
      Number(/^kli8nt_reconcile_errors_total\{queue="deploy"\} (\d+)$/m.exec(body)?.[1] ?? Number.NaN);
    countReconcileError("deploy");
    countReconcileError("deploy");
    observeLogLag(
      ["2026-12-04T10:00:05.000Z", "2026-12-04T10:00:02.500Z"],
      Date.parse("2026-12-04T10:00:10Z"),
    );
    const res = await get("/metrics", ADMIN_TOKEN);
    expect(count(res.body)).toBe(count(before.body) + 2);
    expect(res.body).toMatch(/^kli8nt_reconcile_errors_total\{queue="app"\} \d+$/m);
    expect(res.body).toMatch(/^kli8nt_log_pipeline_lag_seconds 7.5$/m);
  });
});
