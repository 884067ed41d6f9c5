import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp, type Database, ensureAdminUser, openTestDatabase, queryMetrics } from "@kli8nt/db";
import { eventually } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIngressMetricsLoop } from "./ingress-metrics-loop.ts";

// The scrape loop against a real HTTP server answering Traefik's text (the counters grow by 10 requests
// per scrape) and a real PGlite store: the points are the increases, and the first scrape is the baseline.
describe("ingress metrics loop", () => {
  let database: Database;
  let server: Server;
  let scrapes = 0;
  const series = 'code="200",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes"';

  beforeAll(async () => {
    database = await openTestDatabase("pglite");
    const admin = await ensureAdminUser(database.db);
    await createApp(database.db, admin.id, {
      name: "shop",
      repository: { url: "https://example.com/r.git", branch: "main", rootDir: "." },
      port: null,
    });
    server = createServer((_req, res) => {
      scrapes += 1;
      const n = scrapes * 10;
      res.setHeader("content-type", "text/plain; version=0.0.4");
      res.end(
        [
          `traefik_service_requests_total{${series}} ${n}`,
          `traefik_service_request_duration_seconds_bucket{${series},le="0.1"} ${n}`,
          `traefik_service_request_duration_seconds_bucket{${series},le="+Inf"} ${n}`,
          `traefik_service_request_duration_seconds_sum{${series}} ${n * 0.02}`,
        ].join("\n"),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await database?.close();
  });

  it("writes each scrape's increase as the app's web requests", async () => {
    const { port } = server.address() as AddressInfo;
    const warnings: unknown[] = [];
    const loop = startIngressMetricsLoop(
      database.db,
      {
        url: `http://127.0.0.1:${port}/metrics`,
        format: "traefik",
        namespacePrefix: "kli8nt-",
        intervalMs: 150,
      },
      { warn: (obj) => warnings.push(obj) },
    );
    const [app] = await database.db.query.apps.findMany();
    const total = await eventually(
      "30 requests stored after 4 scrapes",
      async () => {
        const buckets = await queryMetrics(database.db, app?.id ?? "", {
          from: new Date(Date.now() - 3_600_000),
          to: new Date(Date.now() + 60_000),
          stepSeconds: 3600,
        });
        const n = buckets.reduce((sum, b) => sum + b.requests, 0);
        return scrapes >= 4 && n >= 30 ? n : undefined;
      },
      10_000,
      50,
    );
    await loop.stop();
    // Each scrape after the first adds 10; whatever ran between the check and the stop adds its 10s too.
    expect(total % 10).toBe(0);
    expect(total).toBeLessThanOrEqual((scrapes - 1) * 10);
    expect(warnings).toEqual([]);
  });
});
