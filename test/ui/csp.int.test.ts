import { failUnderCi } from "@kli8nt/testkit";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

failUnderCi(!CHROMIUM, "KLI8NT_TEST_CHROMIUM is not set (scripts/infra/chromium.sh)");

// The real built UI, served by the real api with its security headers, in Debian's Chromium: every page
// and the live sockets must work with nothing inline, and the browser must report no CSP violation.
describe.skipIf(!CHROMIUM)("the built UI under its Content-Security-Policy", { timeout: 90_000 }, () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  const violations: string[] = [];

  beforeAll(async () => {
    await buildWeb();
    server = await startUiServer();
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    // Strings, not functions: this file is type-checked without the DOM library.
    await page.addInitScript(`document.addEventListener("securitypolicyviolation", (e) =>
      console.error("Refused to load: CSP " + e.violatedDirective + " " + e.blockedURI))`);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("sends the policy with the page", async () => {
    const res = await fetch(server.url, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
  });

  it("signs in, creates an app through the form and opens its live pages with no violation", async () => {
    await page.goto(server.url);
    await page.getByRole("heading", { level: 1, name: "Sign in to Kli8nt" }).waitFor();
    await page.goto(await server.signInUrl());
    await page.getByRole("heading", { level: 1, name: "Apps" }).waitFor();
    // A write from the page itself: the browser's own Origin passes the api's origin check.
    const created = await page.evaluate<number>(`fetch("/api/apps", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "csp-shop", repository: { url: "https://github.com/acme/shop", branch: "main" } }),
    }).then((res) => res.status)`);
    expect(created).toBe(201);
    await page.goto(`${server.url}/apps/csp-shop`);
    await page.getByRole("heading", { level: 1, name: "csp-shop" }).waitFor();
    await page.goto(`${server.url}/apps/csp-shop/logs`);
    await page.waitForLoadState("networkidle").catch(() => undefined);
    expect(violations).toEqual([]);
  });

  it("would notice: an inline script on the page is refused and reported", async () => {
    await page.evaluate(`{
      const script = document.createElement("script");
      script.textContent = "window.__inlineRan = true";
      document.body.append(script);
    }`);
    expect(await page.evaluate<boolean | undefined>("window.__inlineRan")).toBeUndefined();
    await expect.poll(() => violations.length).toBeGreaterThan(0);
  });
});
