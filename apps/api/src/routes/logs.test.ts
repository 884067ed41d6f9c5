import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createFileLogStore, type LogRecord, type LogStore } from "@kli8nt/logstore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { bearer, type Harness, sampleApp, startHarness } from "../test/harness.ts";

let h: Harness;
let logs: LogStore;
let dir: string;
let base: string;
let appId: string;

const line = (i: number, phase: "build" | "run" = "build"): LogRecord => ({
  timestamp: new Date(1_700_000_000_000 + i).toISOString(),
  appId,
  deploymentId: "dep_1",
  phase,
  source: "builder",
  stream: "stdout",
  line: `line ${i}`,
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kli8nt-logs-api-"));
  logs = createFileLogStore({ dataDir: dir });
  h = await startHarness({}, { logs });
  const created = await h.app.inject({
    method: "POST",
    url: "/api/apps",
    headers: bearer(h.alice.token),
    payload: sampleApp("logged"),
  });
  appId = created.json().id;
  base = (await h.app.listen({ host: "127.0.0.1", port: 0 })).replace("http://", "ws://");
});
afterAll(async () => {
  await h?.close();
  await logs?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("log history", () => {
  it("pages by offset, filters by phase, tails, and hides other users' logs", async () => {
    await logs.append(appId, [line(0), line(1), line(2, "run"), line(3)]);
    const first = (
      await h.app.inject({ url: "/api/apps/logged/logs?limit=2", headers: bearer(h.alice.token) })
    ).json();
    expect(first.records.map((r: { line: string }) => r.line)).toEqual(["line 0", "line 1"]);
    const rest = (
      await h.app.inject({ url: `/api/apps/logged/logs?from=${first.next}`, headers: bearer(h.alice.token) })
    ).json();
    expect(rest.records.map((r: { offset: number }) => r.offset)).toEqual([2, 3]);
    const run = (
      await h.app.inject({ url: "/api/apps/logged/logs?phase=run", headers: bearer(h.alice.token) })
    ).json();
    expect(run.records.map((r: { line: string }) => r.line)).toEqual(["line 2"]);
    const tail = (
      await h.app.inject({ url: "/api/apps/logged/logs?tail=1", headers: bearer(h.alice.token) })
    ).json();
    expect(tail.records.map((r: { line: string }) => r.line)).toEqual(["line 3"]);
    expect(
      (await h.app.inject({ url: "/api/apps/logged/logs", headers: bearer(h.bob.token) })).statusCode,
    ).toBe(404);
    expect(
      (await h.app.inject({ url: "/api/apps/logged/logs?phase=deploy", headers: bearer(h.alice.token) }))
        .statusCode,
    ).toBe(400);
  });
});

/** Collects `record` offsets from a stream until `count` arrived or the socket closes. */
function collect(url: string, token: string, count: number, onMessage?: (n: number, ws: WebSocket) => void) {
  return new Promise<number[]>((resolve, reject) => {
    const got: number[] = [];
    const ws = new WebSocket(url, { headers: bearer(token) });
    ws.on("message", (data) => {
      const event = JSON.parse(String(data));
      if (event.type === "record") got.push(event.offset);
      onMessage?.(got.length, ws);
      if (got.length >= count) ws.close();
    });
    ws.on("close", () => resolve(got));
    ws.on("error", reject);
  });
}

describe("live stream", () => {
  it("sends history then live lines, and a reconnect from the last offset loses and repeats nothing", async () => {
    const before = (await logs.read(appId)).end;
    const total = 200;
    let produced = 0;
    const producer = (async () => {
      while (produced < total) {
        await logs.append(appId, [line(1000 + produced)]);
        produced++;
        if (produced % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // First connection dies after 50 lines (as a browser tab losing its network would).
    const first = await collect(
      `${base}/api/apps/logged/logs/stream?from=0`,
      h.alice.token,
      Number.POSITIVE_INFINITY,
      (n, ws) => {
        if (n === before + 50) ws.terminate();
      },
    );
    const last = first.at(-1) ?? -1;
    const expectedEnd = before + total;
    await producer;
    const second = await collect(
      `${base}/api/apps/logged/logs/stream?from=${last + 1}`,
      h.alice.token,
      expectedEnd - (last + 1),
    );
    const all = [...first, ...second];
    expect(all).toEqual(Array.from({ length: expectedEnd }, (_, i) => i));
  });

  it("caps a page at about 1 MiB and says where to read on, so a page of long lines is never huge", async () => {
    const big = await h.app.inject({
      method: "POST",
      url: "/api/apps",
      headers: bearer(h.alice.token),
      payload: sampleApp("biglog"),
    });
    const bigId = big.json().id as string;
    const long = (i: number): LogRecord => ({ ...line(i), appId: bigId, line: `${i} ${"x".repeat(10_000)}` });
    await logs.append(
      bigId,
      Array.from({ length: 300 }, (_, i) => long(i)),
    );
    const read = (from: number) =>
      h.app.inject({ url: `/api/apps/biglog/logs?from=${from}&limit=10000`, headers: bearer(h.alice.token) });
    const first = await read(0);
    expect(first.statusCode).toBe(200);
    expect(first.body.length).toBeLessThanOrEqual(1024 * 1024 + 16 * 1024);
    const page = first.json<{ records: { offset: number }[]; next: number; truncated?: true }>();
    expect(page.truncated).toBe(true);
    expect(page.next).toBe(page.records.length);
    // Reading on from each `next` gets every line once, in order.
    const offsets = page.records.map((r) => r.offset);
    for (let from = page.next, more = true; more; ) {
      const next = (await read(from)).json<{
        records: { offset: number }[];
        next: number;
        truncated?: true;
      }>();
      offsets.push(...next.records.map((r) => r.offset));
      more = next.truncated === true;
      from = next.next;
    }
    expect(offsets).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it("refuses a stranger before the upgrade", async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base}/api/apps/logged/logs/stream`, { headers: bearer(h.bob.token) });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
      ws.on("error", () => undefined);
    });
    expect(status).toBe(404);
  });
});
