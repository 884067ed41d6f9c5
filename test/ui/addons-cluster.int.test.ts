import { deleteAddonRow, markBackup, markRestore, updateAddon } from "@kli8nt/db";
import { failUnderCi } from "@kli8nt/testkit";
import pino from "pino";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddonService } from "../../apps/api/src/addons/addon-service.ts";
import { CHROMIUM, launchChromium, shoot } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

// Issue 25, ADR 0228: the Add-ons tab of an api in cluster mode (KLI8NT_ADDONS=kubernetes) in real Chromium.
// The api only writes requests; the deploy controller does not run here, so the test marks the rows as it
// would (running, done, error with its detail) and the page must follow them.
const missing = failUnderCi(
  !CHROMIUM,
  "the Add-ons UI suite needs Chromium: run through scripts/with-services.sh chromium",
);

describe.skipIf(missing)("Add-ons tab in cluster mode, in Chromium", { timeout: 120_000 }, () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  let token: string;
  let addonId = "";
  const cspErrors: string[] = [];

  const apiCall = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    await buildWeb();
    server = await startUiServer({
      addons: (db, box) =>
        new AddonService({
          db,
          box,
          server: null,
          inCluster: true,
          dumpDir: "/nonexistent",
          logger: pino({ level: "silent" }),
        }),
    });
    token = await server.apiToken();
    await apiCall("POST", "/api/apps", {
      name: "atlas",
      repository: { url: "https://github.com/acme/atlas", branch: "main" },
    });
    addonId = (await apiCall<{ id: string }>("POST", "/api/apps/atlas/addons", { type: "postgres" })).id;
    // As the deploy controller records it once the pod is Ready.
    await updateAddon(server.db, addonId, {
      status: "ready",
      host: "atlas-postgres",
      port: 5432,
      sizeBytes: 9e6,
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    page.setDefaultTimeout(20_000);
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    await page.goto(await server.signInUrl());
    await page.getByRole("link", { name: "atlas" }).first().click();
    await page.getByRole("link", { name: "Add-ons" }).click();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const card = () => page.locator("article.addon");
  const rows = () => card().locator("table.backups tbody tr");

  it("follows a requested backup through running to error with the controller's detail", async () => {
    await card().locator(".badge", { hasText: "Ready" }).waitFor();
    await card().getByRole("button", { name: "Back up now" }).click();
    await rows().first().locator(".badge", { hasText: "Requested" }).waitFor();
    const [row] = (
      await apiCall<{ items: Array<{ id: string }> }>("GET", `/api/apps/atlas/addons/${addonId}/backups`)
    ).items;
    await markBackup(server.db, row?.id ?? "", { status: "running", detail: "Job atlas-backup-1 running" });
    await rows().first().getByText("Job atlas-backup-1 running").waitFor();
    await markBackup(server.db, row?.id ?? "", { status: "error", detail: "pg_dump: connection refused" });
    await rows().first().locator(".badge", { hasText: "Error" }).waitFor();
    await rows().first().getByText("pg_dump: connection refused").waitFor();
    // Only a finished backup can be restored.
    expect(
      await rows()
        .first()
        .getByRole("button", { name: /Restore/ })
        .count(),
    ).toBe(0);
  });

  it("requests a restore of a finished backup and shows the add-on's restore state as it moves", async () => {
    await card().getByRole("button", { name: "Back up now" }).click();
    await expect.poll(() => rows().count()).toBe(2);
    const [row] = (
      await apiCall<{ items: Array<{ id: string }> }>("GET", `/api/apps/atlas/addons/${addonId}/backups`)
    ).items;
    await markBackup(server.db, row?.id ?? "", { status: "done", sizeBytes: 2_500_000 });
    await rows().first().locator(".badge", { hasText: "Done" }).waitFor();
    await rows()
      .first()
      .getByRole("button", { name: /Restore/ })
      .click();
    const dialog = page.getByRole("dialog", { name: /Restore the backup of/ });
    await dialog.getByRole("button", { name: "Restore", exact: true }).click();
    await card()
      .getByText(/Requested the restore of/)
      .waitFor();
    await card().locator(".restore-state", { hasText: "Requested" }).waitFor();
    await markRestore(server.db, addonId, { status: "running", detail: "Job atlas-restore-1 running" });
    await card().locator(".restore-state", { hasText: "Job atlas-restore-1 running" }).waitFor();
    await shoot(page, "addons-cluster-restore");
    await markRestore(server.db, addonId, { status: "done", detail: null });
    await card().locator(".restore-state", { hasText: "Done" }).waitFor();
  });

  it("deletes into deleting with the final dump listed, and restores that dump into a new database", async () => {
    await card().getByRole("button", { name: "Delete database" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this PostgreSQL database?" });
    await dialog.getByRole("textbox").fill("atlas");
    await dialog.getByRole("button", { name: "Delete database" }).click();
    await page.getByText(/deleted once its final dump is taken/).waitFor();
    await card().locator(".badge", { hasText: "Deleting" }).waitFor();
    const dumps = page.locator("section.addon-dumps");
    await dumps.locator("tbody tr .badge", { hasText: "Requested" }).waitFor();
    const [dump] = (await apiCall<{ items: Array<{ id: string }> }>("GET", "/api/apps/atlas/addons/dumps"))
      .items;
    // The controller takes the dump, then removes the add-on.
    await markBackup(server.db, dump?.id ?? "", { status: "done", sizeBytes: 3_000_000 });
    await deleteAddonRow(server.db, addonId);
    await page.getByText("No add-ons.").waitFor();
    await dumps.locator("tbody tr .badge", { hasText: "Done" }).waitFor();
    await shoot(page, "addons-cluster-final-dumps");
    await dumps.getByRole("button", { name: /Restore into a new database/ }).click();
    await card().locator(".restore-state", { hasText: "Requested" }).waitFor();
    expect(cspErrors).toEqual([]);
  });
});
