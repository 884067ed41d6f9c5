import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter } from "./create-router.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import { startUpstream, type Upstream } from "./testing.ts";

// ADR 0139: limits at the edge. A body that stalls gets 408, a connection over the cap gets a 503 page
// (not a reset), and neither reaches or blocks the app.

function rawClient(port: number): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(port, "127.0.0.1");
  let text = "";
  socket.on("data", (d: Buffer) => {
    text += d.toString("latin1");
  });
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return { socket, received: () => text, closed };
}

describe("router limits", () => {
  const table = new MemoryRouteTable();
  let upstream: Upstream;
  const bodies: string[] = [];

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        bodies.push(Buffer.concat(chunks).toString());
        res.end(`got ${req.url}`);
      });
    });
    table.set("app", { kind: "upstream", url: upstream.url });
  });
  afterAll(async () => upstream.close());

  it("answers 408 to a request body that stops arriving, without waiting for the head timeout", async () => {
    const router = await createRouter({ port: 0, table, bodyTimeoutMs: 400, headersTimeoutMs: 60_000 });
    try {
      const slow = rawClient(router.port);
      slow.socket.write("POST /upload HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 100\r\n\r\nabc");
      const started = Date.now();
      await slow.closed;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(slow.received().startsWith("HTTP/1.1 408 ")).toBe(true);
      expect(slow.received()).toContain("ROUTER_TIMEOUT");
      expect(bodies).not.toContain("abc");
    } finally {
      await router.close();
    }
  });

  it("keeps a body that trickles in under the idle time, and times only the gaps", async () => {
    const router = await createRouter({ port: 0, table, bodyTimeoutMs: 600 });
    try {
      const client = rawClient(router.port);
      client.socket.write(
        "POST /trickle HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
      );
      for (const c of "hello") {
        await new Promise((r) => setTimeout(r, 250));
        client.socket.write(c);
      }
      await client.closed;
      expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
      expect(client.received()).toContain("got /trickle");
      expect(bodies).toContain("hello");
    } finally {
      await router.close();
    }
  });

  it("answers connections over the cap with a 503 page and keeps serving the ones it holds", async () => {
    const router = await createRouter({ port: 0, table, maxConnections: 2 });
    try {
      const held = [rawClient(router.port), rawClient(router.port)];
      held[0]?.socket.write("GET /first HTTP/1.1\r\nHost: app.localhost\r\n\r\n");
      await new Promise((r) => setTimeout(r, 200));
      const extra = rawClient(router.port);
      extra.socket.write("GET /extra HTTP/1.1\r\nHost: app.localhost\r\nAccept: application/json\r\n\r\n");
      await extra.closed;
      expect(extra.received().startsWith("HTTP/1.1 503 ")).toBe(true);
      expect(extra.received()).toContain("ROUTER_BUSY");
      expect(extra.received().toLowerCase()).toContain("retry-after: 5");
      expect(held[0]?.received()).toContain("got /first");
      for (const c of held) c.socket.destroy();
      await Promise.all(held.map((c) => c.closed));
      await new Promise((r) => setTimeout(r, 50));
      const after = rawClient(router.port);
      after.socket.write("GET /after HTTP/1.1\r\nHost: app.localhost\r\nConnection: close\r\n\r\n");
      await after.closed;
      expect(after.received()).toContain("got /after");
    } finally {
      await router.close();
    }
  });
});
