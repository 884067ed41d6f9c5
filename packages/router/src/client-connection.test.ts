import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router } from "./create-router.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import { sendRaw, startUpstream, type Upstream } from "./testing.ts";

// The router reads client requests itself (llhttp, ADR 0120): these are the parts of HTTP/1.1 that
// node:http's server used to handle for it.

/** Opens a raw connection that collects everything the router answers. */
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

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe("router: client connections", () => {
  const table = new MemoryRouteTable();
  let router: Router;
  let upstream: Upstream;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      // /early answers on the head, before the upload ends, as an app refusing a too-large body does.
      if (req.url === "/early") {
        res.writeHead(413, { "content-type": "text/plain", "content-length": 8 });
        res.end("too big\n");
        req.resume();
        return;
      }
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = `${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`;
        // /chunked answers without a length, so the router must frame the body for the client.
        if (req.url === "/chunked") {
          res.writeHead(200, { "content-type": "text/plain" });
          res.write(body);
          setTimeout(() => res.end("|end"), 20);
          return;
        }
        // /big answers 100 kB in one write: more than the router joins into one string with the head.
        if (req.url === "/big") {
          const big = Buffer.alloc(100_000, "x");
          res.writeHead(200, { "content-length": big.length });
          res.end(big);
          return;
        }
        // /slow keeps the first of two pipelined requests in flight while the second waits.
        const delay = req.url === "/slow" ? 100 : 0;
        setTimeout(() => {
          res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
          res.end(body);
        }, delay);
      });
    });
    table.set("app", { kind: "upstream", url: upstream.url });
    router = await createRouter({ port: 0, table });
  });
  afterAll(async () => {
    await router.close();
    await upstream.close();
  });

  it("answers pipelined requests in the order they were sent, bodies included", async () => {
    const client = rawClient(router.port);
    client.socket.write(
      "GET /slow HTTP/1.1\r\nHost: app.localhost\r\n\r\n" +
        "POST /second HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 5\r\n\r\nhello" +
        "GET /third HTTP/1.1\r\nHost: app.localhost\r\nConnection: close\r\n\r\n",
    );
    await client.closed;
    const text = client.received();
    expect(count(text, "HTTP/1.1 200 OK")).toBe(3);
    const order = ["GET /slow ", "POST /second hello", "GET /third "].map((s) => text.indexOf(s));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Only the last response, to the request that asked for it, closes the connection.
    expect(count(text.toLowerCase(), "connection: close")).toBe(1);
  });

  it("chunks a body without a length for HTTP/1.1 and closes after it for HTTP/1.0", async () => {
    const v11 = await sendRaw(
      router.port,
      "GET /chunked HTTP/1.1\r\nHost: app.localhost\r\nConnection: close\r\n\r\n",
    );
    expect(v11.toLowerCase()).toContain("transfer-encoding: chunked");
    expect(v11).toMatch(/\r\n\r\n[0-9a-f]+\r\nGET \/chunked \r\n4\r\n\|end\r\n0\r\n\r\n$/);

    const v10 = await sendRaw(router.port, "GET /chunked HTTP/1.0\r\nHost: app.localhost\r\n\r\n");
    expect(v10.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(v10.toLowerCase()).not.toContain("transfer-encoding");
    expect(v10.toLowerCase()).toContain("connection: close");
    expect(v10.endsWith("\r\n\r\nGET /chunked |end")).toBe(true);
  });

  it("keeps reading an upload the app answered early, then serves the next request", async () => {
    const client = rawClient(router.port);
    const half = "a".repeat(50_000);
    client.socket.write(
      `POST /early HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 100000\r\n\r\n${half}`,
    );
    await until(() => client.received().includes("too big"), "the early answer");
    expect(client.received().startsWith("HTTP/1.1 413 ")).toBe(true);
    client.socket.write(`${half}GET /after HTTP/1.1\r\nHost: app.localhost\r\nConnection: close\r\n\r\n`);
    await client.closed;
    expect(client.received()).toContain("GET /after ");
  });

  it("relays a 100 kB body that arrives with its head, head and all", async () => {
    const reply = await sendRaw(
      router.port,
      "GET /big HTTP/1.1\r\nHost: app.localhost\r\nConnection: close\r\n\r\n",
    );
    expect(reply.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(reply.toLowerCase()).toContain("content-length: 100000\r\n");
    expect(reply.split("\r\n\r\n")[1]).toBe("x".repeat(100_000));
  });

  it("keeps an HTTP/1.0 connection open when the client asks for keep-alive and the length is known", async () => {
    const client = rawClient(router.port);
    client.socket.write("GET /a HTTP/1.0\r\nHost: app.localhost\r\nConnection: keep-alive\r\n\r\n");
    await until(() => client.received().includes("GET /a "), "the first answer");
    expect(client.received().toLowerCase()).toContain("connection: keep-alive");
    client.socket.write("GET /b HTTP/1.0\r\nHost: app.localhost\r\n\r\n");
    await client.closed;
    expect(client.received()).toContain("GET /b ");
  });

  it("answers 100 Continue before the body of a request that expects it", async () => {
    const client = rawClient(router.port);
    client.socket.write(
      "PUT /upload HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
    );
    await until(() => client.received().startsWith("HTTP/1.1 100 Continue\r\n\r\n"), "100 Continue");
    client.socket.write("data");
    await client.closed;
    expect(client.received()).toContain("HTTP/1.1 200 OK");
    expect(client.received()).toContain("PUT /upload data");
  });

  it("still answers a client that shut its side right after the request", async () => {
    const client = rawClient(router.port);
    client.socket.end("GET /half HTTP/1.1\r\nHost: app.localhost\r\n\r\n");
    await client.closed;
    expect(client.received()).toContain("HTTP/1.1 200 OK");
    expect(client.received()).toContain("GET /half ");
  });

  it("answers a request split across many small writes", async () => {
    const client = rawClient(router.port);
    const bytes =
      "POST /bits HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 3\r\nConnection: close\r\n\r\nxyz";
    for (const ch of bytes) {
      client.socket.write(ch);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await client.closed;
    expect(client.received()).toContain("POST /bits xyz");
  });

  it("closes idle keep-alive connections at once when the router closes", async () => {
    const other = await createRouter({ port: 0, table });
    const client = rawClient(other.port);
    client.socket.write("GET /idle HTTP/1.1\r\nHost: app.localhost\r\n\r\n");
    await until(() => client.received().includes("GET /idle "), "the answer");
    const started = Date.now();
    await other.close();
    await client.closed;
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("answers 408 to a head that does not arrive in time, and closes idle keep-alive connections", async () => {
    const strict = await createRouter({ port: 0, table, headersTimeoutMs: 500, keepAliveTimeoutMs: 500 });
    try {
      const slow = rawClient(strict.port);
      slow.socket.write("GET /slow-head HTTP/1.1\r\nHost: app.localhost\r\n");
      await slow.closed;
      expect(slow.received().startsWith("HTTP/1.1 408 ")).toBe(true);
      expect(slow.received()).toContain("Kli8nt router");

      const idle = rawClient(strict.port);
      idle.socket.write("GET /then-idle HTTP/1.1\r\nHost: app.localhost\r\n\r\n");
      await idle.closed;
      expect(idle.received()).toContain("GET /then-idle ");
      expect(count(idle.received(), "HTTP/1.1 ")).toBe(1);
    } finally {
      await strict.close();
    }
  });
});
