import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestCertificates } from "@kli8nt/testkit";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamContainerLog } from "./stream-container-log.ts";

// The pod log endpoint over real TLS: a container printing a very long line must reach the log controller
// in bounded pieces as the bytes arrive, each with the line's timestamp, never as one buffered string.
const TS = "2026-12-04T12:00:00.000000001Z";
const LONG = 1024 * 1024;
let server: Server;
let kc: KubeConfig;
let maxPendingSeen = 0;

beforeAll(async () => {
  const certs = await makeTestCertificates(mkdtempSync(join(tmpdir(), "kli8nt-logtls-")), "127.0.0.1");
  server = createServer(
    { key: readFileSync(certs.key), cert: readFileSync(certs.cert) },
    async (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write(`${TS} `);
      const chunk = Buffer.alloc(64 * 1024, "x");
      for (let sent = 0; sent < LONG; sent += chunk.length) {
        res.write(chunk);
        await new Promise((r) => setImmediate(r));
      }
      res.end(`\n${TS} short\n`);
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: "test",
        server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        caFile: certs.ca,
      },
    ],
    users: [{ name: "test", token: "t" }],
    contexts: [{ name: "test", cluster: "test", user: "test" }],
    currentContext: "test",
  });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("streamContainerLog", () => {
  it("hands a 1 MiB line over in 16 KiB pieces, each with the line's timestamp", async () => {
    const lines: string[] = [];
    await streamContainerLog(
      kc,
      { namespace: "ns", pod: "p", container: "c" },
      undefined,
      (raw) => {
        lines.push(raw);
        maxPendingSeen = Math.max(maxPendingSeen, Buffer.byteLength(raw));
      },
      new AbortController().signal,
    );
    expect(lines.at(-1)).toBe(`${TS} short`);
    const pieces = lines.slice(0, -1);
    expect(pieces.length).toBeGreaterThanOrEqual(LONG / (16 * 1024));
    for (const p of pieces) expect(p.startsWith(`${TS} `)).toBe(true);
    expect(pieces.reduce((n, p) => n + p.length - TS.length - 1, 0)).toBe(LONG);
    expect(maxPendingSeen).toBeLessThanOrEqual(16 * 1024 + TS.length + 1);
  });
});
