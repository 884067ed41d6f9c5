import { writeRequestMinutes, writeResourceSamples } from "@kli8nt/db";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium, shoot, until } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

// The Metrics tab (uPlot) and the dashboard's sparklines in real Chromium against the real api, with a
// day of points seeded as the router and the podman sampler write them; screenshots at both widths.
describe.skipIf(!CHROMIUM)("Metrics tab and dashboard sparklines in Chromium", { timeout: 90_000 }, () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  let deploymentId: string;
  const cspErrors: string[] = [];
  const metricsRequests: string[] = [];

  beforeAll(async () => {
    await buildWeb();
    server = await startUiServer();
    const token = await server.apiToken();
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const created = await fetch(`${server.url}/api/apps`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        name: "shop",
        repository: { url: "https://github.com/acme/shop", branch: "main" },
      }),
    });
    const appId = ((await created.json()) as { id: string }).id;
    await seedDay(server, appId);
    const deployed = await fetch(`${server.url}/api/apps/shop/deployments`, {
      method: "POST",
      headers,
      body: "{}",
    });
    deploymentId = ((await deployed.json()) as { id: string }).id;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    page.setDefaultTimeout(15_000);
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    page.on("request", (r) => {
      if (r.url().includes("/api/apps/shop/metrics")) metricsRequests.push(r.url());
    });
    await page.goto(await server.signInUrl());
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows requests and the error rate per app on the dashboard", async () => {
    const row = page.locator(".app-row", { hasText: "shop" });
    await row
      .getByRole("img", { name: /requests per hour/ })
      .locator("canvas")
      .waitFor();
    await row
      .getByRole("img", { name: /error rate \(5xx\) per hour/ })
      .locator("canvas")
      .waitFor();
    await expect.poll(() => row.locator(".traffic-figures").textContent()).toMatch(/% errors/);
    await shoot(page, "dashboard-sparklines");
  });

  it("draws the Metrics tab for 1 h, 24 h and 7 d, and refetches when a deploy moves", async () => {
    await page.getByRole("link", { name: "shop" }).first().click();
    await page.getByRole("link", { name: "Metrics" }).click();
    await page.getByRole("region", { name: "web metrics" }).waitFor();
    for (const title of ["Requests", "Error rate", "Latency", "CPU (cores)", "Memory"]) {
      await page.locator("figure.chart", { hasText: title }).locator("canvas").waitFor();
    }
    await shoot(page, "metrics-tab-1h");
    await page.getByRole("button", { name: "24h" }).click();
    await expect.poll(() => metricsRequests.length).toBeGreaterThanOrEqual(2);
    await page.getByRole("button", { name: "7d" }).click();
    await page.getByRole("button", { name: "7d", pressed: true }).waitFor();
    await page.getByRole("button", { name: "1h" }).click();
    await page.locator("figure.chart canvas").first().waitFor();
    const before = metricsRequests.length;
    // Pushed over the events socket: the tab reloads its series (and deploy markers) at once.
    await server.advance(deploymentId, ["building"]);
    await until("a refetch after the deploy moved", () => metricsRequests.length > before);
    expect(cspErrors).toEqual([]);
  });
});

/** A day of traffic (a 5xx burst half an hour ago) and resource samples, ending at the current minute. */
async function seedDay(server: UiServer, appId: string): Promise<void> {
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const minutes = [];
  const samples = [];
  for (let i = 24 * 60; i >= 1; i--) {
    const t = now - i * 60_000;
    const requests = 600 + Math.round(300 * Math.sin(i / 6)) + Math.round(400 * Math.sin(i / 240));
    const fives = i > 25 && i < 32 ? 40 : 2;
    minutes.push({
      app: "shop",
      process: "web",
      minute: new Date(t).toISOString(),
      requests,
      status: { "1xx": 0, "2xx": requests - fives - 10, "3xx": 0, "4xx": 10, "5xx": fives },
      // 60 % ≤ 10 ms, 36 % ≤ 25 ms, 3 % ≤ 50 ms, the rest ≤ 100 ms (the router's bounds).
      latencyBuckets: [
        0,
        0,
        0,
        Math.round(requests * 0.6),
        Math.round(requests * 0.36),
        Math.round(requests * 0.03),
        requests - Math.round(requests * 0.6) - Math.round(requests * 0.36) - Math.round(requests * 0.03),
      ],
      latencySumMs: requests * 12,
    });
    samples.push({
      appId,
      process: "web",
      at: new Date(t + 5000),
      cpu: 0.2 + (i % 7) / 20,
      memoryBytes: 80e6 + (i % 60) * 1e6,
    });
  }
  await writeRequestMinutes(server.db, minutes);
  await writeResourceSamples(server.db, samples);
}
