import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRouter, MemoryRouteTable, type Router } from "@kli8nt/router";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routerMetricsToStore } from "../../apps/cli/src/commands/router-metrics.ts";
import { CHROMIUM, launchChromium, shoot, trackEvents } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

// Issue 23, live metrics (ADR 0217): the real router, wired to the metrics store and the api's event hub
// as `kli8nt start` wires them, in front of a real HTTP app. Requests through the router → the open
// Metrics tab and the dashboard show them without a reload.
describe.skipIf(!CHROMIUM)("live metrics in Chromium", { timeout: 90_000 }, () => {
  let server: UiServer;
  let upstream: Server;
  let router: Router;
  let browser: Browser;
  let page: Page;
  let events: ReturnType<typeof trackEvents>;
  let navigations = 0;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    await buildWeb();
    server = await startUiServer();
    const token = await server.apiToken();
    const created = await fetch(`${server.url}/api/apps`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "pulse",
        repository: { url: "https://github.com/acme/pulse", branch: "main" },
      }),
    });
    expect(created.status).toBe(201);
    // The app answers the status its query asks for.
    upstream = createServer((req, res) => {
      const status = Number(new URL(req.url ?? "/", "http://app").searchParams.get("status") ?? 200);
      res.writeHead(status, { "content-type": "text/plain" }).end("ok\n");
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const table = new MemoryRouteTable();
    table.set("pulse", {
      kind: "upstream",
      url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    });
    const store = routerMetricsToStore(server.db, { warn: () => undefined }, 250, (ids) => {
      for (const id of ids) server.events.metricsChanged(id);
    });
    router = await createRouter({ port: 0, table, metrics: store });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    page.setDefaultTimeout(15_000);
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    events = trackEvents(page);
    await page.goto(await server.signInUrl());
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await router?.close();
    await new Promise((resolve) => upstream?.close(resolve));
    await server?.close();
  });

  /** `n` requests to the app through the router, `errors` of them answered 500. */
  async function traffic(n: number, errors: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: router.port,
            path: `/?status=${i < errors ? 500 : 200}`,
            headers: { host: "pulse.localhost" },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(status).toBe(i < errors ? 500 : 200);
    }
  }

  it("draws requests sent through the router in the open Metrics tab, pushed, without a reload", async () => {
    await page.getByRole("link", { name: "pulse" }).first().click();
    await page.getByRole("link", { name: "Metrics" }).click();
    await page.getByText("No requests or resource samples in this range yet").waitFor();
    await page.evaluate("window.__sameDocument = true");
    const before = navigations;

    await traffic(8, 2);
    const summary = page.getByTestId("metrics-summary");
    await expect
      .poll(() => summary.textContent(), { timeout: 15_000 })
      .toMatch(/^8 requests · 25\.0% errors/);
    await page.locator("figure.chart", { hasText: "Requests" }).locator("canvas").waitFor();
    expect(events.frames.some((f) => f.includes('"type":"metrics-updated"'))).toBe(true);

    await traffic(4, 0);
    await expect
      .poll(() => summary.textContent(), { timeout: 15_000 })
      .toMatch(/^12 requests · 16\.7% errors/);
    // The same document all along: pushed, not reloaded.
    expect(await page.evaluate("window.__sameDocument === true")).toBe(true);
    expect(navigations - before).toBeLessThanOrEqual(1); // The tab's own client-side route change, if any.
    await shoot(page, "metrics-tab-live");
  });

  it("updates the dashboard's requests and error-rate sparklines as requests arrive", async () => {
    await page.getByRole("link", { name: "Apps" }).first().click();
    const row = page.locator(".app-row", { hasText: "pulse" });
    await row
      .getByRole("img", { name: /error rate \(5xx\) per hour/ })
      .locator("canvas")
      .waitFor();
    await expect.poll(() => row.locator(".traffic-figures").textContent()).toMatch(/^12 · 16\.7% errors/);
    await page.evaluate("window.__sameDocument = true");
    await traffic(4, 4);
    await expect
      .poll(() => row.locator(".traffic-figures").textContent(), { timeout: 15_000 })
      .toMatch(/^16 · 37\.5% errors/);
    expect(await page.evaluate("window.__sameDocument === true")).toBe(true);
    await shoot(page, "dashboard-sparklines-live");
    expect(cspErrors).toEqual([]);
  });
});
