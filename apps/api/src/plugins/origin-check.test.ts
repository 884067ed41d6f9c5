import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createSession } from "@kli8nt/db";
import { createFileLogStore, type LogStore } from "@kli8nt/logstore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { bearer, createAppVia, type Harness, startHarness } from "../test/harness.ts";

// The real api on a real port with real `ws` clients: what a hostile page (a tenant app on a sibling
// subdomain, or any site) can do with a victim's session cookie, and what the dashboard itself can.
const PUBLIC_URL = "http://dash.kli8nt.test:8080";
const EVIL = "http://evil.kli8nt.test:8080";
let h: Harness;
let logs: LogStore;
let dir: string;
let base: string;
let cookie: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kli8nt-origin-"));
  logs = createFileLogStore({ dataDir: dir });
  h = await startHarness({ KLI8NT_PUBLIC_URL: PUBLIC_URL }, { logs });
  await createAppVia(h.app, h.alice.token, "shop");
  cookie = `kli8nt_session=${await createSession(h.database.db, h.alice.user.id, 600_000)}`;
  base = (await h.app.listen({ host: "127.0.0.1", port: 0 })).replace("http://", "ws://");
});
afterAll(async () => {
  await h?.close();
  await logs?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Handshake {
  readonly status: number;
  readonly type?: string;
  readonly body?: { code?: string; detail?: string };
}

/** Opens a WebSocket; resolves with 101, or the HTTP answer that refused the upgrade. */
function handshake(url: string, headers: Record<string, string>): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => {
      ws.terminate();
      resolve({ status: 101 });
    });
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers["content-type"]),
          body: JSON.parse(text),
        }),
      );
    });
    ws.once("error", reject);
  });
}

/** Every WebSocket route: those the OpenAPI document names, and the log stream, which it leaves out. */
async function webSocketRoutes(): Promise<string[]> {
  const doc = (await h.app.inject({ url: "/api/openapi.json" })).json<{
    paths: Record<string, Record<string, { summary?: string }>>;
  }>();
  const documented = Object.entries(doc.paths)
    .filter(([, ops]) => ops.get?.summary?.startsWith("WebSocket"))
    .map(([route]) => route.replace("{name}", "shop"));
  return [...new Set([...documented, "/api/apps/shop/logs/stream"])];
}

describe("cookie-authenticated WebSocket upgrades", () => {
  it("refuses a foreign or missing Origin with a 403 problem before the 101, on every route", async () => {
    for (const route of await webSocketRoutes()) {
      for (const origin of [EVIL, "null", "http://dash.kli8nt.test:9999", "https://dash.kli8nt.test:8080"]) {
        const res = await handshake(`${base}${route}`, { cookie, origin });
        expect(res, `${route} from ${origin}`).toMatchObject({
          status: 403,
          type: expect.stringContaining("application/problem+json"),
          body: { code: "ORIGIN_REFUSED", detail: expect.stringContaining(PUBLIC_URL) },
        });
      }
      const none = await handshake(`${base}${route}`, { cookie });
      expect(none, route).toMatchObject({ status: 403, body: { code: "ORIGIN_REFUSED" } });
    }
  });

  it("opens from the dashboard's own origin, and with a bearer token from anywhere", async () => {
    for (const route of await webSocketRoutes()) {
      expect(await handshake(`${base}${route}`, { cookie, origin: PUBLIC_URL }), route).toEqual({
        status: 101,
      });
      expect(await handshake(`${base}${route}`, { ...bearer(h.alice.token), origin: EVIL }), route).toEqual({
        status: 101,
      });
    }
  });
});

describe("cookie-authenticated unsafe methods", () => {
  const writes = [
    { method: "POST", url: "/api/apps/shop/deployments" },
    { method: "POST", url: "/api/apps", payload: { name: "x" } },
    { method: "PATCH", url: "/api/apps/shop", payload: {} },
    { method: "PUT", url: "/api/apps/shop/env", payload: { vars: {} } },
    { method: "DELETE", url: "/api/apps/shop" },
    { method: "POST", url: "/api/auth/logout" },
  ] as const;

  it("refuses a cross-site write, bodyless or not, with a 403 problem saying why", async () => {
    const foreign = [
      { origin: EVIL },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      {},
    ];
    for (const write of writes) {
      for (const headers of foreign) {
        const res = await h.app.inject({ ...write, headers: { cookie, ...headers } });
        expect(res.statusCode, `${write.method} ${write.url} ${JSON.stringify(headers)}`).toBe(403);
        expect(res.headers["content-type"]).toContain("application/problem+json");
        expect(res.json()).toMatchObject({
          code: "ORIGIN_REFUSED",
          detail: expect.stringContaining("Kli8nt"),
        });
      }
    }
    // Nothing was deployed or deleted.
    expect(await h.unpublished()).toBe(0);
    const still = await h.app.inject({ url: "/api/apps/shop", headers: bearer(h.alice.token) });
    expect(still.statusCode).toBe(200);
  });

  it("lets the dashboard's own origin write (Origin, or Sec-Fetch-Site: same-origin without it)", async () => {
    for (const headers of [{ origin: PUBLIC_URL }, { "sec-fetch-site": "same-origin" }]) {
      const res = await h.app.inject({
        method: "POST",
        url: "/api/apps/shop/deployments",
        headers: { cookie, ...headers },
      });
      expect(res.statusCode, JSON.stringify(headers)).toBe(202);
    }
  });

  it("exempts bearer tokens and leaves reads alone", async () => {
    const res = await h.app.inject({
      method: "POST",
      url: "/api/apps/shop/deployments",
      headers: { ...bearer(h.alice.token), origin: EVIL, "sec-fetch-site": "cross-site" },
    });
    expect(res.statusCode).toBe(202);
    const read = await h.app.inject({ url: "/api/apps/shop", headers: { cookie, origin: EVIL } });
    expect(read.statusCode).toBe(200);
  });
});
