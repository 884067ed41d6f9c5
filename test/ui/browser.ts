import { mkdirSync } from "node:fs";
import path from "node:path";
import { eventually } from "@kli8nt/testkit";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { ROOT } from "./ui-server.ts";

export const CHROMIUM = process.env.KLI8NT_TEST_CHROMIUM;
export const SHOTS = path.join(ROOT, "test-results", "screenshots");
// From shared/notes/infrastructure.md: what Debian's Chromium needs in this sandbox.
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const WIDTHS = [
  { width: 1280, height: 800, label: "desktop" },
  { width: 375, height: 812, label: "phone" },
] as const;

/** Debian's Chromium through playwright-core (never a downloaded browser). */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM ?? "/usr/bin/chromium", headless: true, args: FLAGS });
}

/**
 * What a screen reader needs from every page: one h1, a name for every control, button and link. Returns
 * the offenders (a light stand-in for an axe audit, which is not installed here).
 */
const UNLABELLED = `(() => {
  const name = (el) => (el.getAttribute("aria-label") || el.labels?.[0]?.textContent || el.textContent || el.getAttribute("title") || "").trim();
  const out = [];
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) out.push(h1 + " h1 elements");
  for (const el of document.querySelectorAll("input, select, textarea, button, a[href]")) {
    if (el.type === "hidden" || el.closest("[hidden]") || el.closest("dialog:not([open])")) continue;
    if (!name(el)) out.push(el.outerHTML.slice(0, 80));
  }
  return out;
})()`;

/**
 * Screenshots at desktop and phone widths; at each, nothing may scroll sideways. Our pages are audited
 * for names first (`audit: false` for a page that is not ours, such as a deployed app).
 */
export async function shoot(page: Page, name: string, options: { audit?: boolean } = {}): Promise<void> {
  if (options.audit !== false) {
    expect(await page.evaluate<string[]>(UNLABELLED), `${name}: unnamed elements`).toEqual([]);
  }
  for (const size of WIDTHS) {
    await page.setViewportSize({ width: size.width, height: size.height });
    const overflow = await page.evaluate<number>(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    expect(overflow, `${name} scrolls sideways at ${size.width}px`).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${size.label}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** What a page's events sockets received: how many "ready"s (subscriptions) and every frame. */
export function trackEvents(page: Page): { readonly readies: () => number; readonly frames: string[] } {
  const frames: string[] = [];
  page.on("websocket", (ws) => {
    if (!ws.url().endsWith("/api/events")) return;
    ws.on("framereceived", (frame) => frames.push(String(frame.payload)));
  });
  return { readies: () => frames.filter((f) => f.includes('"type":"ready"')).length, frames };
}

export async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  await eventually(what, () => check() || undefined, ms, 20);
}
