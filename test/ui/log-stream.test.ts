import type { LogRecord } from "@kli8nt/logstore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { type LogLine, LogStream, type StreamStatus } from "../../apps/web/src/logs/log-stream.ts";
import { startUiServer, type UiServer } from "./ui-server.ts";
import { until, wsSocket } from "./ws-socket.ts";

const WAIT_MS = 15_000;

// The real api and log store; no browser needed, so this runs everywhere.
describe("LogStream against the api's logs WebSocket", () => {
  let server: UiServer;
  let token: string;
  let appId: string;

  beforeAll(async () => {
    server = await startUiServer();
    token = await server.apiToken();
    const created = await fetch(`${server.url}/api/apps`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "stream",
        repository: { url: "https://github.com/acme/stream", branch: "main" },
      }),
    });
    appId = ((await created.json()) as { id: string }).id;
  });
  afterAll(async () => server?.close());

  const records = (from: number, count: number): LogRecord[] =>
    Array.from({ length: count }, (_, i) => ({
      timestamp: new Date().toISOString(),
      appId,
      deploymentId: "dep_stream",
      phase: i % 2 === 0 ? "build" : "run",
      source: "builder",
      stream: "stdout",
      line: `line ${from + i}`,
    }));

  it("resumes from the last offset after the connection is cut: no line lost, none repeated", async () => {
    await server.logs.append(appId, records(0, 400));
    const got: LogLine[] = [];
    const statuses: StreamStatus["state"][] = [];
    const sockets: WebSocket[] = [];
    const urls: string[] = [];
    const stream = new LogStream({
      url: (from) => {
        const url = `${server.url.replace("http", "ws")}/api/apps/stream/logs/stream?from=${from ?? 0}`;
        urls.push(url);
        return url;
      },
      connect: (url) => wsSocket(url, { authorization: `Bearer ${token}` }, sockets),
      onLines: (lines) => got.push(...lines),
      onStatus: (status) => statuses.push(status.state),
      maxDelayMs: 100,
    });
    stream.start();
    await until("the first lines", () => got.length >= 50, WAIT_MS);
    sockets[0]?.terminate();
    await server.logs.append(appId, records(400, 600));
    await until("all 1,000 lines", () => got.length >= 1000, WAIT_MS);
    stream.stop();

    expect(got.map((l) => l.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(got.map((l) => l.line)).toEqual(Array.from({ length: 1000 }, (_, i) => `line ${i}`));
    expect(statuses).toContain("reconnecting");
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    // The reconnect asked for exactly the line after the last one it had.
    const resumedFrom = Number(new URL(urls[1] ?? "").searchParams.get("from"));
    expect(resumedFrom).toBeGreaterThanOrEqual(50);
    expect(got[resumedFrom - 1]?.offset).toBe(resumedFrom - 1);
  });

  it("stops for good when the server refuses the stream (4xxx), without retrying", async () => {
    const statuses: StreamStatus[] = [];
    const sockets: WebSocket[] = [];
    const stream = new LogStream({
      url: () => `${server.url.replace("http", "ws")}/api/apps/stream/logs/stream?from=0`,
      connect: (url) => {
        const socket = wsSocket(url, { authorization: `Bearer ${token}` }, sockets);
        // Stand in for a server that closes with an application code (e.g. the app was deleted).
        queueMicrotask(() => socket.onclose?.({ code: 4404, reason: "app deleted" }));
        return socket;
      },
      onLines: () => undefined,
      onStatus: (status) => statuses.push(status),
      maxDelayMs: 50,
    });
    stream.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    stream.stop();
    expect(sockets).toHaveLength(1);
    expect(statuses.at(-1)).toEqual({ state: "closed", reason: "app deleted" });
  });
});
