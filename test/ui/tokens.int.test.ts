import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium, shoot } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

// The API tokens page in real Chromium against the real api (ADR 0165), under the dashboard's CSP.
describe.skipIf(!CHROMIUM)("API tokens page in Chromium", { timeout: 60_000 }, () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    await buildWeb();
    server = await startUiServer();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    page.setDefaultTimeout(15_000);
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    await page.goto(await server.signInUrl());
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("creates a token shown once, which then authenticates, and revokes it after confirmation", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tokens" }).click();
    await page.getByRole("heading", { level: 1, name: "API tokens" }).waitFor();
    await page.getByLabel("Name").fill("ci");
    await page.getByLabel("Expires after").selectOption("30");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = (await page.locator("#new-token").textContent())?.trim() ?? "";
    expect(token).toMatch(/^k8t_/);
    await page.getByRole("button", { name: "Copy token" }).waitFor();
    await page.locator(".token-row", { hasText: "ci" }).waitFor();
    await shoot(page, "tokens-created");

    const use = await fetch(`${server.url}/api/tokens`, { headers: { authorization: `Bearer ${token}` } });
    expect(use.status).toBe(200);
    expect(await use.text()).not.toContain(token);

    // After a reload the value is gone for good: only the list remains.
    await page.reload();
    await page.locator(".token-row", { hasText: "ci" }).waitFor();
    expect(await page.content()).not.toContain(token);

    await page.getByRole("button", { name: "Revoke ci" }).click();
    await page.getByRole("heading", { name: "Revoke “ci”?" }).waitFor();
    await shoot(page, "tokens-revoke-confirm");
    await page.getByRole("button", { name: "Revoke token" }).click();
    await page.getByRole("heading", { name: "Revoke “ci”?" }).waitFor({ state: "hidden" });
    const after = await fetch(`${server.url}/api/tokens`, { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
    expect(cspErrors).toEqual([]);
  });
});
