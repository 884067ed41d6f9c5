import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TEST_DATABASE_URL } from "@kli8nt/db";
import { failUnderCi } from "@kli8nt/testkit";
import pg from "pg";
import pino from "pino";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddonService } from "../../apps/api/src/addons/addon-service.ts";
import { urlServer } from "../../apps/api/src/addons/url-server.ts";
import { CHROMIUM, launchChromium, shoot } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

// Issue 25, the Add-ons tab in real Chromium against the real api, whose add-on service provisions on the
// real PostgreSQL of scripts/infra/postgres.sh (the "existing server" adapter, as the api suite uses it).
const missing = failUnderCi(
  !TEST_DATABASE_URL || !CHROMIUM,
  "the Add-ons UI suite needs PostgreSQL and Chromium: run through scripts/with-services.sh postgres chromium",
);
const PATH = "/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

interface Connection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

async function sql(c: Connection, text: string): Promise<unknown[]> {
  const client = new pg.Client({
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
  });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(missing)("Add-ons tab in Chromium", { timeout: 120_000 }, () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  let token: string;
  let dumps: string;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    dumps = mkdtempSync(path.join(tmpdir(), "kli8nt-ui-addons-"));
    await buildWeb();
    server = await startUiServer({
      addons: (db, box) =>
        new AddonService({
          db,
          box,
          server: urlServer({ adminUrl: TEST_DATABASE_URL ?? "", env: { PATH } }),
          dumpDir: path.join(dumps, "dumps"),
          backupDir: path.join(dumps, "backups"),
          logger: pino({ level: "silent" }),
        }),
    });
    token = await server.apiToken();
    const created = await fetch(`${server.url}/api/apps`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "ledger",
        repository: { url: "https://github.com/acme/ledger", branch: "main" },
      }),
    });
    expect(created.status).toBe(201);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    page.setDefaultTimeout(20_000);
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    await page.goto(await server.signInUrl());
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dumps) rmSync(dumps, { recursive: true, force: true });
  });

  const card = () => page.locator("article.addon");
  /** The connection as the api reveals it to the owner's token (what the page must show once asked). */
  async function connection(): Promise<Connection> {
    const { items } = (await (
      await fetch(`${server.url}/api/apps/ledger/addons`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { items: { id: string }[] };
    const res = await fetch(`${server.url}/api/apps/ledger/addons/${items[0]?.id}/connection`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return (await res.json()) as Connection;
  }

  async function backups(): Promise<unknown[]> {
    const { items } = (await (
      await fetch(`${server.url}/api/apps/ledger/addons`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { items: { id: string }[] };
    const res = await fetch(`${server.url}/api/apps/ledger/addons/${items[0]?.id}/backups`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return ((await res.json()) as { items: unknown[] }).items;
  }

  it("creates a PostgreSQL database and shows it ready with its size, the password masked", async () => {
    await page.getByRole("link", { name: "ledger" }).first().click();
    await page.getByRole("link", { name: "Add-ons" }).click();
    await page.getByText("No add-ons.").waitFor();
    await page.getByRole("button", { name: "Create PostgreSQL database" }).click();
    await card().locator(".badge", { hasText: "Ready" }).waitFor();
    await expect.poll(() => card().locator(".facts").first().textContent()).toMatch(/Size\d+(\.\d)? (kB|MB)/);
    const conn = await connection();
    expect(await card().textContent()).not.toContain(conn.password);
    expect(await card().textContent()).toContain("••••");
    await shoot(page, "addons-tab");
  });

  it("reveals the connection on demand (the owner's, as the api gives it) and hides it again", async () => {
    const conn = await connection();
    await card().getByRole("button", { name: "Reveal connection" }).click();
    await card().getByText(conn.password, { exact: true }).waitFor();
    await expect
      .poll(() => card().locator(".addon-url").textContent())
      .toContain(`@${conn.host}:${conn.port}/`);
    // DATABASE_URL is labelled as the other facts are (a dt of the same style), not as muted inline text.
    const label = card().locator(".addon-url dt");
    expect(await label.textContent()).toBe("DATABASE_URL");
    // Runs in the page; the suite's tsconfig has no DOM types, hence the cast.
    type Computed = { fontSize: string; textTransform: string; color: string };
    const style = (l: typeof label) =>
      l.evaluate((e) => {
        const c = (globalThis as unknown as { getComputedStyle(e: unknown): Computed }).getComputedStyle(e);
        return [c.fontSize, c.textTransform, c.color].join();
      });
    expect(await style(label)).toBe(await style(card().locator(".addon-connection dt").first()));
    await shoot(page, "addons-tab-revealed");
    await card().getByRole("button", { name: "Hide connection" }).click();
    expect(await card().textContent()).not.toContain(conn.password);
  });

  it("backs up now, lists the backup, and restores it after the shared confirmation", async () => {
    const conn = await connection();
    await sql(conn, "create table notes (body text)");
    await sql(conn, "insert into notes values ('kept')");
    const rows = card().locator("table.backups tbody tr");
    await card().getByRole("button", { name: "Back up now" }).click();
    // The list is the api's after the click: the reconciler's first nightly one (taken once the database was
    // ready) and ours, newest first.
    await expect.poll(() => rows.count()).toBe(2);
    expect((await backups()).length).toBe(2);
    expect(await rows.first().locator(".badge").textContent()).toBe("Done");
    await sql(conn, "drop table notes");

    await rows
      .first()
      .getByRole("button", { name: /Restore/ })
      .click();
    const dialog = page.getByRole("dialog", { name: /Restore the backup of/ });
    await dialog.waitFor();
    await shoot(page, "addons-restore-dialog");
    await dialog.getByRole("button", { name: "Restore", exact: true }).click();
    await card()
      .getByText(/Restored the backup of/)
      .waitFor();
    expect(await sql(conn, "select body from notes")).toEqual([{ body: "kept" }]);
  });

  it("deletes the database only once the app's name is typed, and says where the final dump is", async () => {
    await card().getByRole("button", { name: "Delete database" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this PostgreSQL database?" });
    const confirm = dialog.getByRole("button", { name: "Delete database" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByRole("textbox").fill("ledge");
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByRole("textbox").fill("ledger");
    await shoot(page, "addons-delete-dialog");
    await confirm.click();
    await page.getByText(/A final dump was kept at/).waitFor();
    expect(await page.locator(".alert-success code").textContent()).toContain(path.join(dumps, "dumps"));
    await page.getByText("No add-ons.").waitFor();
  });

  it("lists the final dump and restores it into a new database with the rows back (ADR 0228)", async () => {
    const dumps = page.locator("section.addon-dumps");
    await dumps.getByRole("heading", { name: "Final dumps" }).waitFor();
    const row = dumps.locator("tbody tr");
    expect(await row.count()).toBe(1);
    expect(await row.locator(".badge").textContent()).toBe("Done");
    await shoot(page, "addons-final-dumps");
    await row.getByRole("button", { name: /Restore into a new database/ }).click();
    await card().locator(".badge", { hasText: "Ready" }).first().waitFor();
    await card().locator(".restore-state", { hasText: "Done" }).waitFor();
    // One database per app: the other dumps cannot be restored while it exists.
    expect(await row.getByRole("button", { name: /Restore into a new database/ }).isDisabled()).toBe(true);
    expect(await sql(await connection(), "select body from notes")).toEqual([{ body: "kept" }]);
    expect(cspErrors).toEqual([]);
  });
});
