import { newId } from "@kli8nt/core";
import { findAppById, schema, setPreviewSettings, upsertPreview } from "@kli8nt/db";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium, shoot } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

// The app page's Previews tab (ADR 0200) in real Chromium against the real api under the dashboard's CSP:
// open previews with state, URL, head and logs link, tear down now, a closed one's kept logs; the dashboard
// lists no preview as an app. Previews are made by the repository calls the pull_request webhook makes; both widths.
const SHA = "0123456789abcdef0123456789abcdef01234567";

describe.skipIf(!CHROMIUM)("Previews tab in Chromium", { timeout: 90_000 }, () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  let headers: Record<string, string>;
  const cspErrors: string[] = [];

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
    await seedPreviews(server, ((await created.json()) as { id: string }).id);
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

  it("lists no preview as an app on the dashboard", async () => {
    await page.goto(server.url);
    await page.getByRole("link", { name: "shop", exact: true }).waitFor();
    expect(await page.getByText("shop-pr-", { exact: false }).count()).toBe(0);
  });

  it("shows the open previews with state, URL, head and a logs link", async () => {
    await page.goto(`${server.url}/apps/shop`);
    await page
      .getByRole("navigation", { name: "shop sections" })
      .getByRole("link", { name: "Previews" })
      .click();
    await page.getByRole("heading", { name: "Pull request previews" }).waitFor();
    await page.getByText("Deploys every pull request into the app's branch, at most 3 at a time.").waitFor();
    const live = page.locator(".previews tr", { hasText: "#4 Faster pages" });
    await live.getByText("Live").waitFor();
    expect(await live.getByRole("link", { name: "http://shop-pr-4.apps.test" }).count()).toBe(1);
    expect(await live.getByText("faster", { exact: true }).count()).toBe(1);
    expect(await live.getByRole("link", { name: "#4 Faster pages" }).getAttribute("href")).toBe(
      "https://github.com/acme/shop/pull/4",
    );
    const building = page.locator(".previews tr", { hasText: "#7 Dark mode" });
    await building.getByText("Building").waitFor();
    expect(await page.getByRole("link", { name: "Logs of #7" }).getAttribute("href")).toBe(
      "/apps/shop-pr-7/logs",
    );
    await shoot(page, "app-previews");
  });

  it("tears a preview down now after a confirmation", async () => {
    await page.getByRole("button", { name: "Tear down now #7" }).click();
    await page.getByRole("heading", { name: "Tear down the preview of #7?" }).waitFor();
    await shoot(page, "app-previews-teardown");
    await page.getByRole("button", { name: "Tear down", exact: true }).click();
    await page.locator(".previews tr", { hasText: "#7 Dark mode" }).waitFor({ state: "detached" });
    const list = (await (await fetch(`${server.url}/api/apps/shop/previews`, { headers })).json()) as {
      items: Array<{ number: number }>;
    };
    expect(list.items.map((p) => p.number)).toEqual([4]);
    expect(cspErrors).toEqual([]);
  });

  it("changes the previews setting through the form: mode, label, max, forks, database, log retention", async () => {
    // The preview torn down just before is listed as closed, its logs kept for the default 7 days.
    const closed = page.getByRole("list", { name: "Recently closed" });
    await closed.getByText("#7 Dark mode").waitFor();
    expect(await closed.getByText("logs kept until", { exact: false }).count()).toBe(1);
    const form = page.getByRole("form", { name: "Preview settings" });
    await form.waitFor();
    expect(await form.getByLabel("Label", { exact: true }).isDisabled()).toBe(true);
    await form.getByLabel("Pull requests with a label").check();
    await form.getByLabel("Label", { exact: true }).fill("preview-me");
    await form.getByLabel("At most, at a time").fill("25");
    await form.getByRole("button", { name: "Save preview settings" }).click();
    await form.getByText("Between 1 and 20").waitFor();
    await form.getByLabel("At most, at a time").fill("5");
    await form.getByLabel("Deploy pull requests from forks too (without any secret variable)").check();
    await form.getByLabel("Database of a preview").selectOption("copy");
    await form.getByLabel("Keep logs after close (days)").fill("14");
    await form.getByRole("button", { name: "Save preview settings" }).click();
    await form.getByText("Saved. They apply from the next pull request event.").waitFor();
    await page
      .getByText(
        "Deploys pull requests labelled “preview-me” into the app's branch, at most 5 at a time, forks too",
      )
      .waitFor();
    const list = (await (await fetch(`${server.url}/api/apps/shop/previews`, { headers })).json()) as {
      settings: unknown;
    };
    expect(list.settings).toEqual({
      mode: "label",
      label: "preview-me",
      max: 5,
      allowForks: true,
      env: {},
      database: "copy",
      logRetentionDays: 14,
    });
    // The stored values come back into the form after a reload.
    await page.reload();
    await form.getByLabel("Keep logs after close (days)").waitFor();
    expect(await form.getByLabel("Keep logs after close (days)").inputValue()).toBe("14");
    expect(await form.getByLabel("Database of a preview").inputValue()).toBe("copy");
    expect(await form.getByLabel("Pull requests with a label").isChecked()).toBe(true);
    await shoot(page, "app-previews-settings");
    expect(cspErrors).toEqual([]);
  });

  it("opens a closed preview's kept logs from the Recently closed list", async () => {
    await page.getByRole("link", { name: "Logs of closed #7" }).click();
    const box = page.getByRole("log", { name: "Log lines of #7" });
    await box.getByText("listening on :3000").waitFor();
    expect(page.url()).toBe(`${server.url}/apps/shop/previews?logs=7`);
    expect(await box.locator(".log-line").count()).toBe(3);
    expect(await box.locator(".log-stderr").getByText("Error: dark mode not ready").count()).toBe(1);
    await page.getByText("Closed; kept until", { exact: false }).waitFor();
    await shoot(page, "app-previews-closed-logs");
    await page.getByRole("link", { name: "Close the logs of #7" }).click();
    await box.waitFor({ state: "detached" });
    expect(page.url()).toBe(`${server.url}/apps/shop/previews`);
    // A number with no kept log: the api's 404 detail, not an empty box.
    await page.goto(`${server.url}/apps/shop/previews?logs=9`);
    await page
      .getByRole("alert")
      .getByText('"shop" has no preview of #9, open or with logs still kept')
      .waitFor();
    expect(await page.getByRole("log", { name: "Log lines of #9" }).count()).toBe(0);
    expect(cspErrors).toEqual([]);
  });
});

/** Two previews of shop, one live, one building, as the pull_request webhook leaves them. */
async function seedPreviews(server: UiServer, appId: string): Promise<void> {
  const shop = await findAppById(server.db, appId);
  if (!shop) throw new Error("no shop");
  await setPreviewSettings(server.db, shop.id, {
    mode: "all",
    label: "preview",
    max: 3,
    allowForks: false,
    env: {},
  });
  for (const [prNumber, headRef, title] of [
    [4, "faster", "Faster pages"],
    [7, "dark-mode", "Dark mode"],
  ] as const) {
    const { preview } = await upsertPreview(server.db, shop, {
      prNumber,
      title,
      prUrl: `https://github.com/acme/shop/pull/${prNumber}`,
      headRepo: "acme/shop",
      cloneUrl: shop.repository.url,
      headRef,
      headSha: SHA,
      fork: false,
    });
    await server.db.insert(schema.deployments).values({
      id: newId("dep"),
      appId: preview.app.id,
      number: 1,
      state: prNumber === 4 ? "live" : "building",
      trigger: "push",
      ref: headRef,
      commitSha: SHA,
      ...(prNumber === 4 ? { url: "http://shop-pr-4.apps.test" } : {}),
    });
    if (prNumber === 7) await server.logs.append(preview.app.id, logLines(preview.app.id));
  }
}

/** What #7's build and run left in its log, read back after it is torn down. */
function logLines(appId: string) {
  const line = (phase: "build" | "run", text: string, stream: "stdout" | "stderr" = "stdout") => ({
    timestamp: new Date().toISOString(),
    appId,
    deploymentId: "dep_pr7",
    phase,
    source: phase === "build" ? "builder" : "shop-pr-7-web/web",
    stream,
    line: text,
  });
  return [
    line("build", "npm run build: vite building for production"),
    line("run", "listening on :3000"),
    line("run", "Error: dark mode not ready", "stderr"),
  ];
}
