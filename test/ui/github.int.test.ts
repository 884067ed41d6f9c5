import { type FakeGitHub, failUnderCi, freePort, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitHubAppEnv } from "../e2e/platform-api.ts";
import { CHROMIUM, launchChromium, shoot } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

const CLIENT_ID = "Ov23liKli8ntUiTest";
const CLIENT_SECRET = "ui-test-client-secret-0123456789abcdef";

failUnderCi(!CHROMIUM, "KLI8NT_TEST_CHROMIUM is not set (scripts/infra/chromium.sh)");

// The api configured with an OAuth app on the fake GitHub (real OAuth, REST and git protocols).
describe.skipIf(!CHROMIUM)("GitHub in the web UI", { timeout: 60_000 }, () => {
  let gh: FakeGitHub;
  let server: UiServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await buildWeb();
    gh = await startFakeGitHub();
    gh.addUser({ login: "alice" });
    gh.signInAs("alice");
    await gh.addRepo({ owner: "alice", name: "shop", private: true, fromDir: samplePath("node-hello") });
    await gh.addRepo({ owner: "alice", name: "blog", private: false, fromDir: samplePath("static-site") });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const app = {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webhookSecret: "ui-test-webhook-secret-0123456789",
    };
    server = await startUiServer({ port, env: gitHubAppEnv(gh, url, app) });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await gh?.stop();
  });

  it("signs in with GitHub through the consent page", async () => {
    await page.goto(server.url);
    const button = page.getByRole("link", { name: "Continue with GitHub" });
    await button.waitFor();
    await page.waitForFunction("!document.querySelector(\"a[aria-disabled='true']\")");
    await button.click();
    await page.locator("#js-oauth-authorize-btn").click();
    await page.getByRole("heading", { level: 1, name: "Apps" }).waitFor();
    expect(await page.locator(".header-user").textContent()).toBe("alice");
  });

  it("picks a private repository and its branch, then creates and deploys the app", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New app" }).click();
    const shop = page.locator("label.repo-option", { hasText: "alice/shop" });
    await shop.getByText("Private").waitFor();
    await page.locator("label.repo-option", { hasText: "alice/blog" }).getByText("Public").waitFor();
    await page.getByLabel("Search your repositories").fill("sho");
    await page.locator("label.repo-option", { hasText: "alice/blog" }).waitFor({ state: "detached" });
    await shop.click();
    await page.getByRole("combobox", { name: "Branch" }).waitFor();
    expect(await page.getByRole("combobox", { name: "Branch" }).inputValue()).toBe("main");
    expect(await page.getByLabel("App name").inputValue()).toBe("shop");
    await shoot(page, "20-new-app-github-picker");
    await page.getByRole("button", { name: "Create app" }).click();
    await page.getByRole("heading", { level: 1, name: "shop" }).waitFor();
    await page.getByRole("row").filter({ hasText: "#1" }).waitFor();
    const app = (await (await page.request.get(`${server.url}/api/apps/shop`)).json()) as {
      repository: { url: string; branch: string };
    };
    expect(app.repository).toMatchObject({ branch: "main" });
    expect(app.repository.url).toContain("alice/shop");
    // The Build plan panel shows what GET /plan detected at the head of the private repository's branch.
    const panel = page.locator("details.plan");
    await panel.getByText("Detected by").waitFor({ state: "attached" });
    expect(await panel.locator(".facts dd").first().textContent()).toContain("node");
    await panel.getByText("on main", { exact: false }).waitFor({ state: "attached" });
  });
});
