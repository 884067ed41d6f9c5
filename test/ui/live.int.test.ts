import { failUnderCi } from "@kli8nt/testkit";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium, shoot, trackEvents, until } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

failUnderCi(!CHROMIUM, "KLI8NT_TEST_CHROMIUM is not set (scripts/infra/chromium.sh)");

// Two tabs (app page, dashboard) of one signed-in user follow a deploy from pushed events alone, then
// survive a cut socket: reconnect, resync, and show what changed while they were away.
describe.skipIf(!CHROMIUM)("live updates in Chromium", { timeout: 90_000 }, () => {
  let server: UiServer;
  let browser: Browser;
  let context: BrowserContext;
  let appTab: Page;
  let dashTab: Page;
  let deploymentId: string;

  beforeAll(async () => {
    await buildWeb();
    server = await startUiServer();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    context.setDefaultTimeout(15_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("follows a deploy on the app page and the dashboard without polling", async () => {
    appTab = await context.newPage();
    await appTab.goto(await server.signInUrl());
    const created = await appTab.request.post(`${server.url}/api/apps`, {
      headers: { origin: server.url }, // As the page would send: the api refuses cookie writes from elsewhere.
      data: { name: "pulse", repository: { url: "https://github.com/acme/pulse", branch: "main" } },
    });
    expect(created.status()).toBe(201);
    const appEvents = trackEvents(appTab);
    await appTab.goto(`${server.url}/apps/pulse`);
    await appTab.getByText("No deploys yet").waitFor();
    dashTab = await context.newPage();
    const dashEvents = trackEvents(dashTab);
    await dashTab.goto(server.url);
    await dashTab.getByRole("link", { name: "pulse", exact: true }).waitFor();
    await until("both tabs subscribed", () => appEvents.readies() >= 1 && dashEvents.readies() >= 1);

    // From here on, neither tab may fetch: every change must arrive over the socket.
    const fetched: string[] = [];
    const record = (r: Request) => {
      if (new URL(r.url()).pathname.startsWith("/api/")) fetched.push(r.url());
    };
    appTab.on("request", record);
    dashTab.on("request", record);
    const queued = await context.request.post(`${server.url}/api/apps/pulse/deployments`, {
      data: {},
      headers: { origin: server.url },
    });
    deploymentId = ((await queued.json()) as { id: string }).id;
    const row = appTab.getByRole("row").filter({ hasText: "#1" });
    await row.getByText("Queued").waitFor();
    await server.advance(deploymentId, ["building"]);
    await row.getByText("Building").waitFor();
    await dashTab.locator(".app-row", { hasText: "pulse" }).getByText("Building").waitFor();
    await shoot(appTab, "30-live-app-building");
    await server.advance(deploymentId, ["built", "deploying", "live"], {
      url: "http://pulse.localhost:8000",
    });
    await row.getByText("Live").waitFor({ timeout: 2500 });
    await appTab.locator(".facts-wide").getByText("Live").waitFor();
    await dashTab.locator(".app-row", { hasText: "pulse" }).getByText("Live").waitFor({ timeout: 2500 });
    await shoot(dashTab, "31-live-dashboard");
    expect(fetched).toEqual([]);
    appTab.off("request", record);
    dashTab.off("request", record);
  });

  it("says when live updates are cut, and resyncs on reconnect so nothing changed meanwhile is missed", async () => {
    const appEvents = trackEvents(appTab);
    // New connections fail while offline; the live socket is cut by the server.
    await context.setOffline(true);
    server.dropEventSockets();
    await appTab.getByText("Live updates interrupted").waitFor();
    await shoot(appTab, "32-live-reconnecting");
    const second = await context.request.post(`${server.url}/api/apps/pulse/deployments`, {
      data: {},
      headers: { origin: server.url },
    });
    const reason = "build failed: `npm run build` exited with code 1";
    await server.advance(((await second.json()) as { id: string }).id, ["building", "failed"], { reason });
    expect(await appTab.getByText("Deploy #2 failed").count()).toBe(0);
    await context.setOffline(false);
    // Skip the backoff; the automatic retry may get there first, which is fine too.
    await appTab
      .getByRole("button", { name: "Reconnect now" })
      .click({ timeout: 2000 })
      .catch(() => undefined);
    await appTab.getByText("Deploy #2 failed").waitFor();
    await appTab.getByText(reason).first().waitFor();
    await appTab.getByText("Live updates interrupted").waitFor({ state: "detached" });
    expect(appEvents.readies()).toBeGreaterThanOrEqual(1);
    // #1 keeps serving.
    expect(await appTab.locator(".facts-wide div", { hasText: "Serving" }).textContent()).toMatch(
      /Live\s*#1/,
    );
    await shoot(appTab, "33-live-resynced");
  });
});
