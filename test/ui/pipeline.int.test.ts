import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eventually, type FakeGitHub, failUnderCi, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitHubAppEnv, platformEnv, tearDownPlatform } from "../e2e/platform-api.ts";
import { freePort, type PlatformProcess, startPlatform, viaRouter } from "../e2e/platform-process.ts";
import { CHROMIUM, launchChromium, shoot } from "./browser.ts";
import { buildWeb } from "./ui-server.ts";

// The whole platform as `kli8nt start` runs it (real git, buildah, podman, router, INFORM, events), driven
// only through the browser: GitHub sign-in, a private repo from the picker, the build log streaming, live,
// the app itself on its subdomain, a rollback, and a commit that cannot build.
const env = process.env;
const containers = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(
  !containers || !CHROMIUM,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES or KLI8NT_TEST_CHROMIUM missing: run with the containers and chromium services",
);

const APP = `ui${Date.now().toString(36)}`;
const CLIENT_ID = "Ov23liUiPipeline";
const CLIENT_SECRET = "ui-pipeline-client-secret-0123456789";
const BUILD_TIMEOUT = 240_000;

describe.skipIf(!containers || !CHROMIUM)("the real pipeline in Chromium", { timeout: 600_000 }, () => {
  let gh: FakeGitHub;
  let platform: PlatformProcess;
  let dataDir: string;
  let url: string;
  let appUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await buildWeb();
    gh = await startFakeGitHub();
    gh.addUser({ login: "alice", name: "Alice Liddell" });
    gh.signInAs("alice");
    await gh.addRepo({ owner: "alice", name: APP, private: true, fromDir: samplePath("node-hello") });
    dataDir = mkdtempSync(path.join(tmpdir(), "kli8nt-ui-pipeline-"));
    const [apiPort, routerPort] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${apiPort}`;
    appUrl = `http://${APP}.localhost:${routerPort}`;
    const app = {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webhookSecret: "ui-pipeline-webhook-secret-0123456789",
    };
    platform = await startPlatform(
      { ...platformEnv(dataDir, routerPort, env), ...gitHubAppEnv(gh, url, app) },
      { api: apiPort, router: routerPort },
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    page.setDefaultTimeout(20_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await tearDownPlatform({ platform, app: containers ? APP : undefined, github: gh, dataDir });
  });

  const row = (n: number) => page.getByRole("row").filter({ hasText: `#${n}` });
  const served = async () => (await viaRouter(platform.routerPort, APP)).body;
  // When the app does not answer: its containers and the platform's last lines say why.
  const diagnostics = () =>
    `containers: ${execFileSync("podman", ["ps", "-a", "--filter", `label=kli8nt.app=${APP}`, "--format", "{{.Names}} {{.Image}} {{.Status}}"], { encoding: "utf8" })}\nplatform: ${platform.output().slice(-3000)}`;

  it("signs in with GitHub and creates an app from a private repository picked in the list", async () => {
    await page.goto(url);
    const button = page.getByRole("link", { name: "Continue with GitHub" });
    await page.waitForFunction("!document.querySelector(\"a[aria-disabled='true']\")");
    await button.click();
    await page.locator("#js-oauth-authorize-btn").click();
    await page.getByRole("heading", { level: 1, name: "Apps" }).waitFor();
    expect(await page.locator(".header-user").textContent()).toBe("alice");
    await shoot(page, "40-pipeline-dashboard-empty");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New app" }).click();
    await page.getByLabel("Search your repositories").fill(APP);
    const option = page.locator("label.repo-option", { hasText: `alice/${APP}` });
    await option.getByText("Private").waitFor();
    await option.click();
    await page.getByRole("combobox", { name: "Branch" }).waitFor();
    expect(await page.getByLabel("App name").inputValue()).toBe(APP);
    await shoot(page, "41-pipeline-picker");
    await page.getByRole("button", { name: "Create app" }).click();
    await page.getByRole("heading", { level: 1, name: APP }).waitFor();
    await row(1).waitFor();
  });

  it("streams the build log into the page while it builds, then shows the deploy live", async () => {
    await page.getByRole("link", { name: "Logs", exact: true }).click();
    const box = page.getByRole("log", { name: `Log lines of ${APP}` });
    // buildah's own step lines, streamed from the build as it runs.
    await box
      .getByText(/STEP \d+\/\d+/)
      .first()
      .waitFor({ timeout: BUILD_TIMEOUT });
    await page.locator(".log-status").getByText("Live", { exact: true }).waitFor();
    await shoot(page, "42-pipeline-build-log");
    // The app's own output follows once it runs: build and runtime lines in one view.
    await box.getByText("node-hello listening on").waitFor({ timeout: BUILD_TIMEOUT });
    await page.getByRole("link", { name: "Deployments" }).click();
    await row(1).getByText("Live").waitFor({ timeout: BUILD_TIMEOUT });
    await page.locator(".facts-wide").getByText(appUrl).waitFor();
    await shoot(page, "43-pipeline-live");
  });

  it("opens the deployed app on its subdomain through the router", async () => {
    const [tab] = await Promise.all([
      page.context().waitForEvent("page"),
      page.locator(".facts-wide").getByRole("link", { name: appUrl }).click(),
    ]);
    await tab.waitForLoadState();
    expect(tab.url()).toBe(`${appUrl}/`);
    expect((await tab.locator("body").textContent())?.trim()).toBe("hello from node-hello v1");
    await shoot(tab, "44-pipeline-deployed-app", { audit: false });
    await tab.close();
  });

  it("deploys a push, then rolls back to the first release from the UI without a rebuild", async () => {
    await eventually("the push webhook on GitHub", async () =>
      gh.hooks(`alice/${APP}`).length === 1 ? true : undefined,
    );
    const source = readFileSync(path.join(samplePath("node-hello"), "server.js"), "utf8");
    await gh.push(`alice/${APP}`, {
      files: { "server.js": source.replace("hello from", "hello pushed from") },
      message: "Say hello pushed",
    });
    // The page was not reloaded: the new deploy appears and goes live from pushed events.
    await row(2).getByText("Live").waitFor({ timeout: BUILD_TIMEOUT });
    await row(1).getByText("Superseded").waitFor();
    expect(await served(), diagnostics()).toBe("hello pushed from node-hello v1\n");

    await page.getByRole("button", { name: "Roll back to #1" }).click();
    const dialog = page.getByRole("dialog", { name: "Roll back to #1?" });
    await dialog.waitFor();
    await shoot(page, "45-pipeline-rollback-dialog");
    await dialog.getByRole("button", { name: "Roll back", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    await row(3).getByText("Live").waitFor({ timeout: 120_000 });
    await row(3).getByText("rollback").waitFor();
    expect(await served(), diagnostics()).toBe("hello from node-hello v1\n");
    expect(await page.locator(".facts-wide div", { hasText: "Serving" }).textContent()).toMatch(/Live\s*#3/);
    await shoot(page, "46-pipeline-rolled-back");
  });

  it("renders a commit that cannot build as failed, with its reason, while the last release keeps serving", async () => {
    const pkg = JSON.parse(readFileSync(path.join(samplePath("node-hello"), "package.json"), "utf8"));
    pkg.scripts.build = `node -e "console.error('Error: Cannot find module vite'); process.exit(1)"`;
    await gh.push(`alice/${APP}`, {
      files: { "package.json": `${JSON.stringify(pkg, null, 2)}\n` },
      message: "Add a build step that fails",
    });
    await row(4).getByText("Failed").waitFor({ timeout: BUILD_TIMEOUT });
    const banner = page.locator(".alert-error", { hasText: "Deploy #4 failed" });
    await banner.waitFor();
    const reason = (await banner.locator("p").nth(1).textContent()) ?? "";
    expect(reason.length).toBeGreaterThan(10);
    await page.getByText(`Why it failed:`).first().waitFor();
    expect(await page.locator(".facts-wide div", { hasText: "Serving" }).textContent()).toMatch(/Live\s*#3/);
    expect(await served(), diagnostics()).toBe("hello from node-hello v1\n");
    await shoot(page, "47-pipeline-failed-build");
    // The banner leads to that deploy's build log, where the failing line is (stderr, not the echo of it).
    await banner.getByRole("link", { name: "the build log of #4" }).click();
    await page.getByText("One deploy only.").waitFor();
    await page.locator(".log-stderr .log-text", { hasText: /^Error: Cannot find module vite$/ }).waitFor();
    await shoot(page, "48-pipeline-failed-build-log");
  });
});
