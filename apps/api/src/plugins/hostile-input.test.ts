import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { bearer, createAppVia, type Harness, startHarness } from "../test/harness.ts";

// Probes a hostile tenant or page sends (ADR 0232): prototype keys and broken JSON get a detail that says
// what is wrong, and a WebSocket handshake anywhere but the two socket routes never gets a 101.

let h: Harness;
let base: string;

beforeAll(async () => {
  h = await startHarness();
  await h.app.listen({ host: "127.0.0.1", port: 0 });
  base = `127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  await createAppVia(h.app, h.alice.token, "shop");
});
afterAll(async () => h?.close());

async function putEnv(body: string) {
  const res = await fetch(`http://${base}/api/apps/shop/env`, {
    method: "PUT",
    headers: { ...bearer(h.alice.token), "content-type": "application/json" },
    body,
  });
  type Answer = { code?: string; detail?: string; vars?: { key: string }[] };
  return { status: res.status, type: res.headers.get("content-type"), json: (await res.json()) as Answer };
}

describe("JSON bodies", () => {
  it("refuses __proto__ and constructor.prototype keys saying so, not 'not valid JSON'", async () => {
    for (const body of [
      '{"vars":[],"__proto__":{"admin":true}}',
      '{"vars":[{"key":"A","value":"1","__proto__":{"x":1}}]}',
      '{"vars":[],"constructor":{"prototype":{"admin":true}}}',
    ]) {
      const res = await putEnv(body);
      expect(res.status, body).toBe(400);
      expect(res.type).toContain("application/problem+json");
      expect(res.json.code).toBe("BODY_KEY_REFUSED");
      expect(res.json.detail).toMatch(/"(__proto__|constructor)"/);
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it("says where a body stops being JSON, and that an empty one is empty", async () => {
    const broken = await putEnv('{"vars": [}');
    expect(broken.status).toBe(400);
    expect(broken.json).toMatchObject({ code: "BODY_MALFORMED" });
    expect(broken.json.detail).toBe("The request body is not valid JSON: Unexpected token '}'");
    const empty = await putEnv("   ");
    expect(empty.json).toMatchObject({ status: 400, code: "BODY_MALFORMED" });
    expect(empty.json.detail).toContain("empty");
  });

  it("keeps ordinary names: a variable called constructor or __proto__ is data, not a key", async () => {
    const res = await putEnv('{"vars":[{"key":"constructor","value":"x"},{"key":"__proto__","value":"y"}]}');
    expect(res.status).toBe(200);
    expect((res.json.vars ?? []).map((v) => v.key).sort()).toEqual(["__proto__", "constructor"]);
  });
});

/** A WebSocket handshake; resolves with the status (101 when it opened) and, if refused, the body. */
function handshake(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${base}${path}`, { headers });
    ws.on("open", () => {
      ws.terminate();
      resolve({ status: 101, body: "" });
    });
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => {
        body += c.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("error", () => resolve({ status: -1, body: "" }));
  });
}

describe("WebSocket handshakes", () => {
  it("answer 404 problem+json on every path without a socket, bearer or not; the real ones still open", async () => {
    for (const path of [
      "/API/events",
      "/api//events",
      "/",
      "/apps/shop",
      "/healthz",
      "/api/apps",
      "/auth/cli",
    ]) {
      for (const headers of [{}, bearer(h.alice.token)]) {
        const res = await handshake(path, headers);
        expect(res.status, path).toBe(404);
        expect(JSON.parse(res.body)).toMatchObject({ code: "WEBSOCKET_NOT_FOUND", status: 404 });
      }
    }
    expect((await handshake("/api/events", bearer(h.alice.token))).status).toBe(101);
  });

  it("answers a request asking for another protocol (h2c) with a problem, not a dropped connection", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const [host, port] = base.split(":");
      const req = request(
        { host, port, path: "/healthz", headers: { connection: "Upgrade, HTTP2-Settings", upgrade: "h2c" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(404);
  });
});
