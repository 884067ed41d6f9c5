import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router } from "./create-router.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import type { RequestMinute } from "./request-metrics.ts";
import { send, startUpstream, type Upstream } from "./testing.ts";

// The router's request counts through a real router and a real upstream (ADR 0215).

describe("router: request metrics", () => {
  const table = new MemoryRouteTable();
  const minutes: RequestMinute[] = [];
  let router: Router;
  let upstream: Upstream;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      req.resume();
      const status = Number(new URL(req.url ?? "/", "http://x").searchParams.get("status") ?? 200);
      res.writeHead(status, { "content-type": "text/plain" });
      res.end("ok");
    });
    table.set("shop", { kind: "upstream", url: upstream.url });
    table.set("wip", { kind: "status", status: "building", message: "Building" });
    router = await createRouter({
      port: 0,
      table,
      metrics: { sink: (m) => void minutes.push(...m), flushIntervalMs: 60_000 },
    });
  });

  afterAll(async () => {
    await router.close();
    await upstream.close();
  });

  const total = (app: string, pick: (m: RequestMinute) => number): number =>
    minutes.filter((m) => m.app === app).reduce((n, m) => n + pick(m), 0);

  it("counts each completed response for its app, by status class, and not those of unknown hosts", async () => {
    const port = router.port;
    for (const status of [200, 200, 201, 302, 404, 500, 503]) {
      const reply = await send({ port, host: "shop.localhost", path: `/?status=${status}` });
      expect(reply.status).toBe(status);
    }
    await send({ port, method: "HEAD", host: "shop.localhost" });
    expect((await send({ port, host: "wip.localhost" })).status).toBe(503);
    expect((await send({ port, host: "nope.localhost" })).status).toBe(404);
    expect((await send({ port, host: "elsewhere.example" })).status).toBe(404);
    await router.flushMetrics();
    expect(total("shop", (m) => m.requests)).toBe(8);
    expect(total("shop", (m) => m.status["2xx"])).toBe(4);
    expect(total("shop", (m) => m.status["3xx"])).toBe(1);
    expect(total("shop", (m) => m.status["4xx"])).toBe(1);
    expect(total("shop", (m) => m.status["5xx"])).toBe(2);
    expect(total("shop", (m) => m.latencyBuckets.reduce((a, b) => a + b, 0))).toBe(8);
    // The app's own status page (building) counts for it; hosts of no app count for nobody.
    expect(total("wip", (m) => m.status["5xx"])).toBe(1);
    expect(new Set(minutes.map((m) => m.app))).toEqual(new Set(["shop", "wip"]));
    expect(new Set(minutes.map((m) => m.process))).toEqual(new Set(["web"]));
  });

  it("hands what is left to the sink on close", async () => {
    const got: RequestMinute[] = [];
    const other = await createRouter({ port: 0, table, metrics: { sink: (m) => void got.push(...m) } });
    await send({ port: other.port, host: "shop.localhost" });
    await other.close();
    expect(got.map((m) => m.requests)).toEqual([1]);
  });
});
