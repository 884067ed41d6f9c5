import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { createRouter, type Router } from "./create-router.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import { startUpstream, type Upstream } from "./testing.ts";

function open(router: Router, host: string, path = "/"): WebSocket {
  return new WebSocket(`ws://127.0.0.1:${router.port}${path}`, { headers: { host } });
}

function nextMessage(ws: WebSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    ws.once("message", (data: Buffer) => resolve(data));
    ws.once("error", reject);
  });
}

function refusedStatus(ws: WebSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    ws.once("unexpected-response", (_req, res: IncomingMessage) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once("open", () => reject(new Error("the upgrade should have been refused")));
  });
}

describe("router: WebSocket upgrade passthrough", () => {
  const table = new MemoryRouteTable();
  let router: Router;
  let echo: Upstream;
  let plain: Upstream;
  let wss: WebSocketServer;

  beforeAll(async () => {
    echo = await startUpstream((_req, res) => res.end("not a websocket"));
    wss = new WebSocketServer({ server: echo.server });
    wss.on("connection", (ws, req) => {
      ws.send(JSON.stringify({ url: req.url, xff: req.headers["x-forwarded-for"], host: req.headers.host }));
      ws.on("message", (data, isBinary) => {
        if (data.toString() === "close-please") ws.close(4001, "asked to");
        else ws.send(data, { binary: isBinary });
      });
    });
    // An upstream with no WebSocket support answers the upgrade request as a plain request.
    plain = await startUpstream((_req, res) => {
      res.writeHead(426, { "content-type": "text/plain" });
      res.end("upgrade required elsewhere");
    });
    table.set("echo", { kind: "upstream", url: echo.url });
    table.set("plain", { kind: "upstream", url: plain.url });
    table.set("down", { kind: "upstream", url: "http://127.0.0.1:1" });
    table.set("busy", { kind: "status", status: "building", message: "building" });
    router = await createRouter({ port: 0, table });
  });

  afterAll(async () => {
    await router.close();
    wss.close();
    await Promise.all([echo.close(), plain.close()]);
  });

  it("echoes text and binary frames through the router, with path, Host and X-Forwarded-For", async () => {
    const ws = open(router, "echo.localhost", "/socket?room=7");
    const hello = JSON.parse((await nextMessage(ws)).toString()) as Record<string, string>;
    expect(hello).toEqual({ url: "/socket?room=7", xff: "127.0.0.1", host: "echo.localhost" });
    ws.send("hello");
    expect((await nextMessage(ws)).toString()).toBe("hello");
    const big = Buffer.alloc(1024 * 1024, 7);
    ws.send(big);
    expect((await nextMessage(ws)).equals(big)).toBe(true);
    ws.close();
  });

  it("relays a close from the app with its code", async () => {
    const ws = open(router, "echo.localhost");
    await nextMessage(ws);
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    ws.send("close-please");
    expect(await closed).toBe(4001);
  });

  it("relays the app's answer when it refuses the upgrade", async () => {
    expect(await refusedStatus(open(router, "plain.localhost"))).toBe(426);
  });

  it("answers with the router's pages when there is nothing to upgrade to", async () => {
    expect(await refusedStatus(open(router, "nobody.localhost"))).toBe(404);
    expect(await refusedStatus(open(router, "busy.localhost"))).toBe(503);
    expect(await refusedStatus(open(router, "down.localhost"))).toBe(502);
  });

  it("closes open WebSockets when the router closes", async () => {
    const local = await createRouter({ port: 0, table });
    const ws = open(local, "echo.localhost");
    await nextMessage(ws);
    const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
    await local.close();
    await closed;
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });
});
