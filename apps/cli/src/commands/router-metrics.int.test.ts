import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import {
  createApiToken,
  createApp,
  createUser,
  type Database,
  openTestDatabase,
  queryMetrics,
  SecretBox,
  TEST_DATABASE_URL,
} from "@kli8nt/db";
import {
  createRouter,
  LATENCY_BOUNDS_MS,
  MemoryRouteTable,
  percentile,
  type RequestMinute,
  type Router,
} from "@kli8nt/router";
import { failUnderCi } from "@kli8nt/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routerMetricsToStore } from "./router-metrics.ts";

// Issue 23: a load loop of known size and status mix through the real router, wired to the metrics store
// as `kli8nt start` wires it, on real PostgreSQL → GET /api/apps/:name/metrics tells the same: counts
// exactly, latencies between what the app itself took and what the client measured.

const missing = failUnderCi(
  !TEST_DATABASE_URL,
  "KLI8NT_TEST_DATABASE_URL is not set: run through `npm test` or `scripts/with-services.sh postgres`",
);

/** What one kind of request asks the app for, and how many of it the loop sends. */
interface Kind {
  readonly status: number;
  readonly delayMs: number;
  readonly count: number;
}

const MIX: readonly Kind[] = [
  { status: 200, delayMs: 0, count: 300 },
  { status: 404, delayMs: 0, count: 60 },
  { status: 302, delayMs: 0, count: 40 },
  { status: 500, delayMs: 20, count: 40 },
  { status: 200, delayMs: 120, count: 20 },
];
/** Requests answered by the router's own page while the app is marked crashed (503). */
const CRASHED = 10;
/** Requests to a host of no app: counted for nobody. */
const UNKNOWN = 25;
const CONCURRENCY = 16;

/** One request's latency as the app measured it (a floor) and as the client measured it (a ceiling). */
interface Measured {
  readonly status: number;
  readonly floorMs: number;
  readonly ceilingMs: number;
}

/** An app that waits `delay` ms, answers `status`, and says how long it held the request. */
async function startApp(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const t0 = performance.now();
    const query = new URL(req.url ?? "/", "http://app").searchParams;
    req.resume();
    setTimeout(
      () => {
        const status = Number(query.get("status") ?? 200);
        res.writeHead(status, { "x-held-ms": String(performance.now() - t0), "content-type": "text/plain" });
        res.end("answer\n");
      },
      Number(query.get("delay") ?? 0),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function get(agent: Agent, port: number, host: string, pathname: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: "127.0.0.1", port, path: pathname, headers: { host }, agent }, (res) => {
      res.resume();
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          floorMs: Number(res.headers["x-held-ms"] ?? 0),
          ceilingMs: performance.now() - t0,
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** Sends the paths with `CONCURRENCY` requests in flight, on keep-alive connections. */
async function loadLoop(port: number, host: string, paths: string[]): Promise<Measured[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const results: Measured[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const p = paths[next] as string;
      next += 1;
      results.push(await get(agent, port, host, p));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return results;
}

function histogram(values: readonly number[]): number[] {
  const buckets = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  for (const ms of values) {
    const i = LATENCY_BOUNDS_MS.findIndex((bound) => ms <= bound);
    const at = i === -1 ? LATENCY_BOUNDS_MS.length : i;
    buckets[at] = (buckets[at] ?? 0) + 1;
  }
  return buckets;
}

/** A fixed shuffle (seeded), so that slow and fast requests share the connections alike on every run. */
function shuffle<T>(items: T[]): void {
  let seed = 23;
  for (let i = items.length - 1; i > 0; i -= 1) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = seed % (i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

/** Running totals: how many requests took at most each bound. */
const cumulative = (buckets: readonly number[]): number[] => {
  let sum = 0;
  return buckets.map((n) => (sum += n));
};

describe.skipIf(missing)("router request metrics into the store, on PostgreSQL", () => {
  let dir: string;
  let database: Database;
  let api: FastifyInstance;
  let router: Router;
  let app: { server: Server; url: string };
  let token: string;
  let appId: string;
  const table = new MemoryRouteTable();
  const warnings: string[] = [];
  let flushes = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "kli8nt-router-metrics-"));
    database = await openTestDatabase("postgres");
    const config = loadConfig({ KLI8NT_DATA_DIR: dir, KLI8NT_LOG_LEVEL: "silent" });
    api = await buildApi({
      config,
      db: database.db,
      box: new SecretBox(randomBytes(32)),
      onOutboxWrite: () => undefined,
    });
    const user = await createUser(database.db, { login: "rita" });
    token = (await createApiToken(database.db, user.id, "t")).token;
    appId = (
      await createApp(database.db, user.id, {
        name: "shop",
        repository: { url: "https://example.com/shop.git", branch: "main", rootDir: "." },
        port: null,
      })
    ).id;
    app = await startApp();
    table.set("shop", { kind: "upstream", url: app.url });
    // As `kli8nt start` wires it, flushing every 200 ms so that the loop's minute is written in many parts.
    const store = routerMetricsToStore(database.db, { warn: (_o, msg) => void warnings.push(msg) }, 200);
    router = await createRouter({
      port: 0,
      table,
      metrics: {
        ...store,
        sink: async (minutes: RequestMinute[]) => {
          flushes += 1;
          await store.sink(minutes);
        },
      },
    });
  });

  afterAll(async () => {
    await router?.close();
    await new Promise((resolve) => app?.server.close(resolve));
    await api?.close();
    await database?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("stores exactly the requests sent, by status class, with percentiles inside the measured bounds", async () => {
    const startedAt = Date.now();
    const paths = MIX.flatMap((k) => Array<string>(k.count).fill(`/?status=${k.status}&delay=${k.delayMs}`));
    shuffle(paths);
    const measured = await loadLoop(router.port, "shop.localhost", paths);
    table.set("shop", { kind: "status", status: "crashed", message: "Crashed" });
    measured.push(...(await loadLoop(router.port, "shop.localhost", Array<string>(CRASHED).fill("/"))));
    const strangers = await loadLoop(router.port, "nobody.localhost", Array<string>(UNKNOWN).fill("/"));
    expect(strangers.every((r) => r.status === 404)).toBe(true);
    await router.flushMetrics();
    expect(flushes).toBeGreaterThanOrEqual(2);
    expect(warnings).toEqual([]);

    const sent = MIX.reduce((n, k) => n + k.count, 0) + CRASHED;
    const byClass = (c: number) => measured.filter((r) => Math.floor(r.status / 100) === c).length;
    expect(measured).toHaveLength(sent);
    expect(byClass(5)).toBe(40 + CRASHED);

    const from = Math.floor(startedAt / 60_000) * 60;
    const res = await api.inject({
      url: `/api/apps/shop/metrics?from=${from}&to=${from + 3600}&step=3600`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      series: { process: string; points: { requests: number; status: object; [k: string]: unknown }[] }[];
    }>();
    expect(body.series.map((s) => s.process)).toEqual(["web"]);
    const [point] = body.series[0]?.points ?? [];
    expect(point?.requests).toBe(sent);
    expect(point?.status).toEqual({
      "1xx": 0,
      "2xx": byClass(2),
      "3xx": byClass(3),
      "4xx": byClass(4),
      "5xx": byClass(5),
    });
    expect([byClass(2), byClass(3), byClass(4)]).toEqual([320, 40, 60]);

    // Each request took the router at least what the app held it and at most what the client waited, so
    // every quantile, and every running total of the histogram, lies between those of the two.
    const floors = histogram(measured.map((r) => r.floorMs));
    const ceilings = histogram(measured.map((r) => r.ceilingMs));
    for (const [key, q] of [
      ["p50Ms", 0.5],
      ["p95Ms", 0.95],
      ["p99Ms", 0.99],
    ] as const) {
      expect(point?.[key], key).toBeGreaterThanOrEqual(percentile(floors, q) as number);
      expect(point?.[key], key).toBeLessThanOrEqual(percentile(ceilings, q) as number);
    }
    const [stored] = await queryMetrics(database.db, appId, {
      from: new Date(from * 1000),
      to: new Date((from + 3600) * 1000),
      stepSeconds: 3600,
    });
    const storedRunning = cumulative(stored?.latencyBuckets ?? []);
    const floorRunning = cumulative(floors);
    const ceilingRunning = cumulative(ceilings);
    storedRunning.forEach((n, i) => {
      expect(n, `requests ≤ bucket ${i}`).toBeLessThanOrEqual(floorRunning[i] as number);
      expect(n, `requests ≤ bucket ${i}`).toBeGreaterThanOrEqual(ceilingRunning[i] as number);
    });
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(stored?.latencySumMs).toBeGreaterThanOrEqual(sum(measured.map((r) => r.floorMs)));
    expect(stored?.latencySumMs).toBeLessThanOrEqual(sum(measured.map((r) => r.ceilingMs)));
  });
});
