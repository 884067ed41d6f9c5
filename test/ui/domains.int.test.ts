import { createDomain, findAppById, recordDomainFailure, schema } from "@kli8nt/db";
import { eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium, shoot } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

// The app page's Domains tab (issue 25) in real Chromium against the real api under the dashboard's CSP:
// domains with their status badge and the api's detail (DNS record, certificate failure), the add form's
// own validation and the api's refusal shown under the field, removal behind the shared confirmation.
// No ACME runs here: the active and failed rows are written as the certificate reconcilers write them.

describe.skipIf(!CHROMIUM)("Domains tab in Chromium", { timeout: 90_000 }, () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  let headers: Record<string, string>;
  const cspErrors: string[] = [];
  const reason = 'order is in "invalid" state: urn:ietf:params:acme:error:dns: NXDOMAIN looking up A';

  beforeAll(async () => {
    await buildWeb();
    server = await startUiServer();
    headers = { authorization: `Bearer ${await server.apiToken()}`, "content-type": "application/json" };
    const created = await fetch(`${server.url}/api/apps`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        name: "shop",
        repository: { url: "https://github.com/acme/shop", branch: "main" },
      }),
    });
    await seedDomains(server, ((await created.json()) as { id: string }).id, reason);
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

  const row = (host: string) => page.locator(".domains tr", { hasText: host });

  it("lists the domains with status badges and what to do", async () => {
    await page.goto(`${server.url}/apps/shop`);
    await page
      .getByRole("navigation", { name: "shop sections" })
      .getByRole("link", { name: "Domains" })
      .click();
    await page.getByRole("heading", { name: "Custom domains" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/apps/shop/domains");
    await row("www.shop-example.com").getByText("Active", { exact: true }).waitFor();
    expect(
      await row("www.shop-example.com")
        .getByRole("link", { name: "www.shop-example.com" })
        .getAttribute("href"),
    ).toBe("https://www.shop-example.com");
    await row("broken.shop-example.com").getByText("Error", { exact: true }).waitFor();
    await row("broken.shop-example.com").getByText(reason, { exact: false }).waitFor();
    await shoot(page, "app-domains");
  });

  it("validates the hostname in the browser, then shows the api's refusal under the field", async () => {
    const field = page.getByLabel("Hostname");
    await field.fill("https://www.example.org/");
    await page.getByRole("button", { name: "Add domain" }).click();
    await page.getByText("Give the bare hostname, like www.example.com", { exact: false }).waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");

    // Well-formed, but the platform's own: only the api knows, and says why.
    await field.fill("shop.localhost");
    await page.getByRole("button", { name: "Add domain" }).click();
    await page
      .getByRole("alert")
      .getByText("localhost names are the platform's own", { exact: false })
      .waitFor();
    await page
      .locator("#domain-hostname-problem", { hasText: "localhost names are the platform's own" })
      .waitFor();
    await page.getByRole("alert").getByText("Attach a domain of your own", { exact: false }).waitFor();
    await shoot(page, "app-domains-refused");
  });

  it("adds a domain as pending with the DNS record to create", async () => {
    await page.getByLabel("Hostname").fill("New.Example.org");
    await page.getByRole("button", { name: "Add domain" }).click();
    await row("new.example.org").getByText("Pending", { exact: true }).waitFor();
    await row("new.example.org")
      .getByText("Create a CNAME record new.example.org", { exact: false })
      .waitFor();
    expect(await page.getByLabel("Hostname").inputValue()).toBe("");
  });

  it("removes a domain after a confirmation", async () => {
    await page.getByRole("button", { name: "Remove broken.shop-example.com" }).click();
    await page.getByRole("heading", { name: "Remove broken.shop-example.com?" }).waitFor();
    await shoot(page, "app-domains-remove");
    await page.getByRole("button", { name: "Remove domain", exact: true }).click();
    await row("broken.shop-example.com").waitFor({ state: "detached" });
    const list = (await (await fetch(`${server.url}/api/apps/shop/domains`, { headers })).json()) as {
      items: Array<{ hostname: string }>;
    };
    expect(list.items.map((d) => d.hostname)).toEqual(["new.example.org", "www.shop-example.com"]);
    expect(cspErrors).toEqual([]);
  });
});

/** An active domain (certificate until a fixed date) and one whose order failed, as the reconcilers leave them. */
async function seedDomains(server: UiServer, appId: string, reason: string): Promise<void> {
  const shop = await findAppById(server.db, appId);
  if (!shop) throw new Error("no shop");
  const active = await createDomain(server.db, shop.id, "www.shop-example.com", false);
  await server.db
    .update(schema.domains)
    .set({ status: "active", certNotAfter: new Date("2027-03-04T12:00:00Z"), certIssuedAt: new Date() })
    .where(eq(schema.domains.id, active.id));
  const broken = await createDomain(server.db, shop.id, "broken.shop-example.com", false);
  await recordDomainFailure(server.db, broken.id, {
    detail: reason,
    attempts: 1,
    nextAttemptAt: new Date(Date.now() + 3_600_000),
    keepActive: false,
  });
}
