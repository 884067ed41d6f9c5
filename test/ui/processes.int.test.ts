import { newId } from "@kli8nt/core";
import { schema } from "@kli8nt/db";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium, shoot } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

// The app page's Processes panel (formation, restart/stop/start), the release step in the deploy history
// and the Cron tab, in real Chromium against the real api under the dashboard's CSP; both widths.
describe.skipIf(!CHROMIUM)("Processes, release step and Cron tab in Chromium", { timeout: 90_000 }, () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  let headers: Record<string, string>;
  const cspErrors: string[] = [];
  const api = async <T>(path: string) =>
    (await (await fetch(`${server.url}${path}`, { headers })).json()) as T;

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
    const appId = ((await created.json()) as { id: string }).id;
    await seedReleases(server, appId);
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

  it("shows the formation and the release step, and saves a new count and size", async () => {
    await page.goto(`${server.url}/apps/shop`);
    await page.getByRole("heading", { name: "Processes" }).waitFor();
    expect(await page.getByLabel("worker instances").inputValue()).toBe("1");
    await page.getByText("node worker.js").waitFor();
    // The release phase of each deploy: ran (with its command) or failed, with a link to its log lines.
    await page.locator(".release-ok", { hasText: "python manage.py migrate" }).waitFor();
    await page.locator(".release-failed", { hasText: "Release failed" }).waitFor();
    // The live release's restarts and crash loop, and every condition with its reason, folded per deploy.
    await page.locator(".history .badge-failed", { hasText: "Crash loop · 4 restarts" }).waitFor();
    await page.getByText("Conditions of #1").click();
    await page.locator(".condition-true", { hasText: "Degraded true · CrashLoop" }).waitFor();
    await page.getByText("worker exited with 1 four times in 2 minutes").waitFor();
    await page.getByText("Conditions of #2").click();
    await page.locator(".condition-false", { hasText: "Release command false · ReleaseFailed" }).waitFor();
    const link = page.getByRole("link", { name: "release log of #2", exact: true });
    expect(await link.getAttribute("href")).toMatch(/\/apps\/shop\/logs\?deployment=dep_\w+&phase=release$/);
    // The failure banner sends a failed release to the release phase's lines, not the build log.
    await page.getByRole("link", { name: "the release log of #2" }).click();
    await page.getByRole("heading", { name: "Logs" }).waitFor();
    expect(await page.getByLabel("Phase").inputValue()).toBe("release");
    await page.goto(`${server.url}/apps/shop`);
    await page.getByRole("heading", { name: "Processes" }).waitFor();

    await page.getByLabel("web instances").fill("2");
    await page.getByLabel("worker memory").fill("1Gi");
    await page.getByRole("button", { name: "Save formation" }).click();
    await page.getByText("Saved. Instances change now").waitFor();
    const formation = await api<{ processes: { type: string; count: number; memory: string }[] }>(
      "/api/apps/shop/formation",
    );
    expect(formation.processes.map((p) => [p.type, p.count, p.memory])).toEqual([
      ["web", 2, "512Mi"],
      ["worker", 1, "1Gi"],
    ]);
    await shoot(page, "app-processes");

    // A refusal shows the api's detail, not a stack trace.
    await page.getByLabel("worker instances").fill("5000");
    await page.getByRole("button", { name: "Save formation" }).click();
    await page.locator(".formation .alert-error", { hasText: "1000" }).waitFor();
    // …and marks the field it is about: only worker changed, so the api's processes.0 is the second row.
    expect(await page.getByLabel("worker instances").getAttribute("aria-invalid")).toBe("true");
    await page.locator(".formation .field-problem", { hasText: "1000" }).waitFor();
    expect(await page.getByLabel("web instances").getAttribute("aria-invalid")).toBeNull();
  });

  it("stops and starts the app after a confirmation, and restarts it", async () => {
    await page.getByRole("button", { name: "Stop", exact: true }).click();
    await page.getByRole("heading", { name: "Stop shop?" }).waitFor();
    await shoot(page, "app-stop-confirm");
    await page.getByRole("button", { name: "Stop app" }).click();
    await page.getByText("Stopped: nothing runs").waitFor();
    expect((await api<{ stopped: boolean }>("/api/apps/shop/formation")).stopped).toBe(true);
    await page.getByRole("button", { name: "Start", exact: true }).click();
    await page.getByRole("button", { name: "Start app" }).click();
    await page.getByRole("button", { name: "Restart", exact: true }).waitFor();
    expect((await api<{ stopped: boolean }>("/api/apps/shop/formation")).stopped).toBe(false);
    await page.getByRole("button", { name: "Restart", exact: true }).click();
    await page.getByRole("heading", { name: "Restart shop?" }).waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("heading", { name: "Restart shop?" }).waitFor({ state: "hidden" });
  });

  it("adds a cron job, shows its runs and deletes it after confirmation", async () => {
    await page.getByRole("navigation", { name: "shop sections" }).getByRole("link", { name: "Cron" }).click();
    await page.getByRole("heading", { name: "Scheduled commands" }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("nightly");
    await page.getByLabel("Schedule", { exact: true }).fill("61 * * * *");
    await page.getByLabel("Command", { exact: true }).fill("python manage.py clearsessions");
    await page.getByRole("button", { name: "Add cron job" }).click();
    await page.locator(".field-problem").first().waitFor();
    await page.getByLabel("Schedule", { exact: true }).fill("0 3 * * *");
    await page.getByRole("button", { name: "Add cron job" }).click();
    await page.locator(".cron-jobs tr", { hasText: "nightly" }).waitFor();
    await seedRun(server, "nightly");
    await page.reload();
    await page.locator(".cron-jobs tr", { hasText: "failed, exit 3 · 1 hour ago" }).waitFor();
    await page.getByRole("button", { name: "Runs of nightly" }).click();
    await page.getByRole("heading", { name: "Runs of nightly" }).waitFor();
    await page.locator(".badge-run-failed").waitFor();
    await page.getByText("exited with 3").waitFor();
    await shoot(page, "app-cron");

    await page.getByRole("button", { name: "Delete nightly" }).click();
    await page.getByRole("heading", { name: "Delete “nightly”?" }).waitFor();
    await page.getByRole("button", { name: "Delete cron job" }).click();
    await page.getByText("No cron jobs yet.").waitFor();
    expect((await api<{ items: unknown[] }>("/api/apps/shop/cron")).items).toEqual([]);
  });

  it("keeps the Tokens page in the account menu, and broke no CSP rule", async () => {
    await page.locator(".header-account").getByRole("link", { name: "Tokens" }).click();
    await page.getByRole("heading", { level: 1, name: "API tokens" }).waitFor();
    expect(cspErrors).toEqual([]);
  });
});

/** A live release whose Procfile has web and worker and whose release command ran; a newer one whose failed. */
async function seedReleases(server: UiServer, appId: string): Promise<void> {
  const at = new Date().toISOString();
  const base = { appId, trigger: "manual", ref: "main", image: "localhost/kli8nt/shop@sha256:0" };
  await server.db.insert(schema.deployments).values([
    {
      ...base,
      id: newId("dep"),
      number: 1,
      state: "live",
      restarts: 4,
      processes: { web: null, worker: "node worker.js" },
      conditions: [
        {
          type: "released",
          status: "true",
          reason: "ReleaseSucceeded",
          message: "python manage.py migrate",
          lastTransitionTime: at,
        },
        {
          type: "available",
          status: "true",
          reason: "Live",
          message: "The release answers",
          lastTransitionTime: at,
        },
        {
          type: "degraded",
          status: "true",
          reason: "CrashLoop",
          message: "worker exited with 1 four times in 2 minutes",
          lastTransitionTime: at,
        },
      ],
    },
    {
      ...base,
      id: newId("dep"),
      number: 2,
      state: "failed",
      reason: "The release command exited with 1: django.db.utils.OperationalError: no such table",
      processes: { web: null, worker: "node worker.js" },
      conditions: [
        {
          type: "released",
          status: "false",
          reason: "ReleaseFailed",
          message: "exit 1",
          lastTransitionTime: at,
        },
      ],
    },
  ]);
}

/** A failed run, as the scheduler records one. */
async function seedRun(server: UiServer, job: string): Promise<void> {
  const [row] = await server.db.select().from(schema.cronJobs);
  if (row?.name !== job) throw new Error(`no cron job ${job}`);
  const scheduledAt = new Date(Date.now() - 3_600_000);
  await server.db.insert(schema.cronRuns).values({
    id: newId("run"),
    cronJobId: row.id,
    appId: row.appId,
    scheduledAt,
    state: "failed",
    exitCode: 3,
    reason: "exited with 3: clearsessions failed",
    startedAt: scheduledAt,
    finishedAt: new Date(scheduledAt.getTime() + 2000),
  });
}
