import { readFileSync } from "node:fs";
import path from "node:path";
import type { LogRecord } from "@kli8nt/logstore";
import { failUnderCi } from "@kli8nt/testkit";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium, SHOTS, shoot } from "./browser.ts";
import { buildWeb, startUiServer, type UiServer } from "./ui-server.ts";

failUnderCi(!CHROMIUM, "KLI8NT_TEST_CHROMIUM is not set (scripts/infra/chromium.sh)");

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });

describe.skipIf(!CHROMIUM)("web UI in Chromium", { timeout: 60_000 }, () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const buildMs = await buildWeb();
    process.stderr.write(`[ui] building the UI (if stale) took ${Math.round(buildMs)} ms\n`);
    server = await startUiServer();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    page.setDefaultTimeout(15_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows a signed-out visitor both ways to sign in, keyboard first", async () => {
    await page.goto(server.url);
    await heading(page, "Sign in to Kli8nt").waitFor();
    const github = page.getByRole("link", { name: "Continue with GitHub" });
    expect(await github.getAttribute("href")).toBe("/auth/github");
    // No GitHub OAuth app is configured here: the button says so instead of leading to a JSON 404.
    await page.getByText("GitHub sign-in is not set up on this server yet").waitFor();
    expect(await github.getAttribute("aria-disabled")).toBe("true");
    await page.getByText("prints a one-time sign-in link").waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string | undefined>("document.activeElement?.textContent")).toBe(
      "Skip to content",
    );
    await shoot(page, "01-sign-in");
  });

  it("signs in through the one-time link and lands on an empty dashboard", async () => {
    await page.goto(await server.signInUrl());
    expect(new URL(page.url()).pathname).toBe("/");
    await heading(page, "Apps").waitFor();
    await page.getByRole("heading", { name: "No apps yet" }).waitFor();
    await shoot(page, "02-dashboard-empty");
  });

  it("creates an app from a Git URL, validating as the api does, with a variable and a secret", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New app" }).click();
    await heading(page, "New app").waitFor();
    // Not connected to GitHub, and no OAuth app here to connect with: the form falls back to a URL.
    await page.getByText("The GitHub repository picker is not available on this server yet").waitFor();
    expect(await page.getByRole("button", { name: "From GitHub" }).isDisabled()).toBe(true);
    await shoot(page, "03-new-app-github");
    await page.getByRole("button", { name: "Git URL" }).click();
    await page.getByLabel("Repository URL").fill("https://github.com/acme/Shop.git");
    // A made-up repository: blank would make the api look its default branch up (and fail), so name one.
    expect(await page.getByLabel("Branch").inputValue()).toBe("");
    await page.getByLabel("Branch").fill("main");
    expect(await page.getByLabel("App name").inputValue()).toBe("shop");
    await page.getByLabel("App name").fill("-shop");
    await page.getByText("not starting or ending with a hyphen").waitFor();
    await page.getByLabel("App name").fill("shop");
    await page.getByLabel("Port (optional)").fill("99999");
    await page.getByRole("button", { name: "Add variable" }).click();
    await page.getByLabel("Name 1").fill("GREETING");
    await page.getByLabel("Value 1").fill("hello");
    await page.getByRole("button", { name: "Add secret" }).click();
    await page.getByLabel("Name 2").fill("API_KEY");
    await page.getByLabel("Value 2").fill("s3cr3t-value-42");
    expect(await page.getByLabel("Value 2").getAttribute("type")).toBe("password");
    await page.getByRole("button", { name: "Create app" }).click();
    await page.getByText("port must be a whole number from 1 to 65535").waitFor();
    expect(await page.evaluate<string | undefined>("document.activeElement?.id")).toBe("port");
    await shoot(page, "04-new-app-invalid");
    await page.getByLabel("Port (optional)").fill("");
    await page.getByRole("button", { name: "Create app" }).click();
    await heading(page, "shop").waitFor();
    expect(new URL(page.url()).pathname).toBe("/apps/shop");
  });

  it("shows the app with its queued deploy; Deploy now queues another", async () => {
    await page.getByRole("row").filter({ hasText: "#1" }).getByText("Queued").waitFor();
    await page.getByText("Nothing live yet").waitFor();
    await page.getByRole("button", { name: "Deploy now" }).click();
    await page.getByRole("row").filter({ hasText: "#2" }).getByText("Queued").waitFor();
    // The Build plan panel asks GET /plan; this made-up repository cannot be read, and the panel says so.
    await page.getByText("The repository could not be read", { exact: false }).waitFor();
    // Its advice is about the repository, not a backing service that is "not ready".
    await page
      .getByText("Check the repository URL and that your account can read it", { exact: false })
      .waitFor();
    await shoot(page, "05-app-queued");
    await page.getByRole("link", { name: "Apps", exact: true }).first().click();
    await page.getByRole("link", { name: "shop", exact: true }).waitFor();
    await page.getByText("#2", { exact: false }).waitFor();
    await shoot(page, "06-dashboard");
  });

  it("renders history states, a failed build's reason, and rolls back to an earlier live release", async () => {
    const deployments = (await (
      await page.request.get(`${server.url}/api/apps/shop/deployments`)
    ).json()) as {
      items: { id: string; number: number }[];
    };
    const id = (n: number) => deployments.items.find((d) => d.number === n)?.id ?? "";
    const image = (n: number) => ({ image: `registry.local/shop@sha256:${String(n).repeat(64)}` });
    await server.advance(id(1), ["building", "built", "deploying", "live"], {
      ...image(1),
      commitSha: "a1b2c3d4e5",
    });
    await server.advance(id(2), ["building", "built", "deploying", "live"], {
      ...image(2),
      commitSha: "f6e7d8c9b0",
    });
    await server.advance(id(1), ["superseded"]);
    const third = (await (
      await page.request.post(`${server.url}/api/apps/shop/deployments`, {
        data: {},
        headers: { origin: server.url },
      })
    ).json()) as {
      id: string;
    };
    const reason = "build failed: `npm run build` exited with code 1 (Cannot find module 'vite')";
    await server.advance(third.id, ["building", "failed"], { reason });

    await page.getByRole("link", { name: "shop", exact: true }).click();
    await page.getByText("Deploy #3 failed").waitFor();
    await page.getByText(reason).first().waitFor();
    await page.getByRole("row").filter({ hasText: "#2" }).getByText("Live").waitFor();
    // #3 failed, so #2 keeps serving: the page says both.
    const facts = page.locator(".facts-wide");
    expect(await facts.locator("div", { hasText: "Serving" }).textContent()).toMatch(/Live\s*#2/);
    expect(await facts.locator("div", { hasText: "Latest deploy" }).textContent()).toMatch(/#3\s*Failed/);
    await shoot(page, "07-app-history");
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: path.join(SHOTS, "07-app-history-dark-desktop.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "light" });
    await page.getByRole("button", { name: "Roll back to #1" }).click();
    const dialog = page.getByRole("dialog", { name: "Roll back to #1?" });
    await dialog.waitFor();
    await shoot(page, "08-rollback-dialog");
    // The modal dialog closes on Escape and gives focus back to the button that opened it.
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await page.evaluate<string | undefined>("document.activeElement?.textContent")).toBe(
      "Roll back to #1",
    );
    await page.keyboard.press("Enter");
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Roll back", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("row").filter({ hasText: "#4" }).getByText("rollback").waitFor();
  });

  it("keeps secret values write-only in the environment editor", async () => {
    await page.getByRole("link", { name: "Environment" }).click();
    // Sorted by name: API_KEY (the secret) is row 1 and has no value field, only "Replace".
    expect(await page.getByLabel("Name 1").inputValue()).toBe("API_KEY");
    expect(await page.getByLabel("Value 2").inputValue()).toBe("hello");
    await page.getByText("Hidden secret value").waitFor();
    expect(await page.content()).not.toContain("s3cr3t-value-42");
    const env = (await (await page.request.get(`${server.url}/api/apps/shop/env`)).json()) as {
      vars: { key: string; value: string | null; secret: boolean }[];
    };
    expect(env.vars).toEqual([
      { key: "API_KEY", value: null, secret: true, build: false, preview: true },
      { key: "GREETING", value: "hello", secret: false, build: false, preview: true },
    ]);
    await page.getByLabel("Value 2").fill("hi");
    await page.getByRole("button", { name: "Save variables" }).click();
    await page.getByText("Saved. They apply from the next deploy.").waitFor();
    await shoot(page, "09-app-env");
    await page.reload();
    expect(await page.getByLabel("Value 2").inputValue()).toBe("hi");
    await page.getByText("Hidden secret value").waitFor();
  });

  it("streams logs live, with search and a phase filter", async () => {
    const app = (await (await page.request.get(`${server.url}/api/apps/shop`)).json()) as { id: string };
    const line = (
      phase: "build" | "run",
      text: string,
      stream: "stdout" | "stderr" = "stdout",
    ): LogRecord => ({
      timestamp: new Date().toISOString(),
      appId: app.id,
      deploymentId: "dep_ui",
      phase,
      source: phase === "build" ? "builder" : "shop-7d9f/web",
      stream,
      line: text,
    });
    await server.logs.append(app.id, [
      line("build", "STEP 1/6: FROM localhost/kli8nt/node:20"),
      line("build", "npm ci: added 212 packages in 4s"),
      line("build", "npm run build: vite v8 building for production"),
      line("run", "listening on :3000"),
      line("run", "GET / 200 3ms"),
    ]);
    await page.getByRole("link", { name: "Logs" }).click();
    const box = page.getByRole("log", { name: "Log lines of shop" });
    await box.getByText("listening on :3000").waitFor();
    await page.getByText("Live").first().waitFor();
    await server.logs.append(app.id, [line("run", "Error: connect ECONNREFUSED 127.0.0.1:5432", "stderr")]);
    await box.getByText("ECONNREFUSED").waitFor();
    await page.getByLabel("Search").fill("npm");
    await page.getByText("2 of 6 lines match").waitFor();
    await page.getByLabel("Search").fill("");
    await shoot(page, "10-app-logs");
    // Pause freezes the view while lines keep arriving; Resume shows them.
    await page.getByRole("button", { name: "Pause" }).click();
    await server.logs.append(app.id, [line("run", "GET /health 200 1ms")]);
    await page.getByRole("button", { name: "Resume (1 new)" }).waitFor();
    expect(await box.getByText("GET /health").count()).toBe(0);
    await page.getByRole("button", { name: "Resume (1 new)" }).click();
    await box.getByText("GET /health 200 1ms").waitFor();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("shop-logs.txt");
    const saved = readFileSync((await download.path()) ?? "", "utf8")
      .trim()
      .split("\n");
    expect(saved).toHaveLength(7);
    expect(saved[0]).toMatch(/\[build\] builder STEP 1\/6: FROM localhost\/kli8nt\/node:20$/);
    await page.getByLabel("Phase").selectOption("build");
    await box.getByText("STEP 1/6").waitFor();
    await page.getByText("3 lines").waitFor();
    expect(await box.getByText("listening on :3000").count()).toBe(0);

    // From the history, one deploy's lines only.
    const first = (await (await page.request.get(`${server.url}/api/apps/shop/deployments`)).json()) as {
      items: { id: string; number: number }[];
    };
    const one = first.items.find((d) => d.number === 1)?.id ?? "";
    await server.logs.append(app.id, [{ ...line("build", "built release one"), deploymentId: one }]);
    await page.getByRole("link", { name: "Deployments" }).click();
    await page.getByRole("link", { name: "Logs of #1" }).click();
    await page.getByText("One deploy only.").waitFor();
    await box.getByText("built release one").waitFor();
    await page.getByText("1 line", { exact: false }).waitFor();
    await page.getByRole("link", { name: "Show every deploy" }).click();
    await box.getByText("GET /health 200 1ms").waitFor();
  });

  it("renders api errors with their detail and what to do", async () => {
    await page.goto(`${server.url}/apps/new`);
    await page.getByRole("button", { name: "Git URL" }).click();
    await page.getByLabel("Repository URL").fill("https://github.com/acme/shop");
    // A named branch: left blank, the api would look the made-up repository's default branch up first.
    await page.getByLabel("Branch").fill("main");
    await page.getByRole("button", { name: "Create app" }).click();
    const alert = page.getByRole("alert");
    await alert.getByText('The name "shop" is already taken; choose another').waitFor();
    await alert.getByText("What to do:").waitFor();
    await alert.getByText("APP_NAME_TAKEN").waitFor();
    await page.getByText("this name is taken").waitFor();
    await shoot(page, "11-new-app-conflict");
    await page.goto(`${server.url}/apps/nope`);
    await page.getByRole("alert").getByText("APP_NOT_FOUND").waitFor();
    await shoot(page, "12-app-not-found");
  });

  it("deletes the app only once its name is typed, then signs out", async () => {
    await page.goto(`${server.url}/apps/shop/settings`);
    const remove = page.getByRole("button", { name: "Delete shop" });
    await remove.waitFor();
    expect(await remove.isDisabled()).toBe(true);
    await page.getByLabel("Type shop to confirm").fill("sho");
    expect(await remove.isDisabled()).toBe(true);
    await shoot(page, "13-app-settings");
    await page.getByLabel("Type shop to confirm").fill("shop");
    await remove.click();
    await page.getByText("Deleted shop.").waitFor();
    await page.getByRole("heading", { name: "No apps yet" }).waitFor();
    expect((await page.request.get(`${server.url}/api/apps/shop`)).status()).toBe(404);
    await page.getByRole("button", { name: "Sign out" }).click();
    await heading(page, "Sign in to Kli8nt").waitFor();
    expect((await page.request.get(`${server.url}/api/me`)).status()).toBe(401);
  });
});
