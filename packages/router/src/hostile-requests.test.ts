import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router } from "./create-router.ts";
import { DomainTable } from "./domain-table.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import { send, sendRaw, startUpstream, type Upstream } from "./testing.ts";

// What a hostile client or a hostile app can send through the router (ADR 0232): requests whose body or
// target the app might read differently from the router, and cookies that reach beyond the app.

const TOSSED = [
  "plain=1; Path=/",
  "own=1; Domain=shop.apps.example; Path=/",
  "parent=1; Domain=apps.example; Path=/",
  "dotted=1; path=/; domain=.APPS.example; HttpOnly",
  "registrable=1; Domain=example; Secure",
  "kli8nt_session=planted; Domain=example; Path=/",
];

describe("the router and hostile requests and responses", () => {
  const table = new MemoryRouteTable();
  let upstream: Upstream;
  let router: Router;
  const seen: string[] = [];

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.host}`);
      req.resume();
      req.on("end", () => {
        res.setHeader("set-cookie", TOSSED);
        res.end("app");
      });
    });
    table.set("shop", { kind: "upstream", url: upstream.url });
    table.set("other", { kind: "upstream", url: upstream.url });
    const domains = new DomainTable();
    domains.set("www.shop.test", "shop");
    domains.set("evil.example", "shop");
    router = await createRouter({ port: 0, table, appsDomain: "apps.example", domains, tlsPort: 0 });
  });
  afterAll(async () => {
    await router?.close();
    await upstream?.close();
  });

  it("refuses a Transfer-Encoding that does not end in chunked with 400 and closes, never reaching the app", async () => {
    for (const coding of ["gzip", "identity", "xchunked", "chunked, gzip"]) {
      seen.length = 0;
      const started = Date.now();
      const answer = await sendRaw(
        router.port,
        `POST /te HTTP/1.1\r\nHost: shop.apps.example\r\nTransfer-Encoding: ${coding}\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      );
      expect(answer.startsWith("HTTP/1.1 400 "), coding).toBe(true);
      expect(answer).toContain("ROUTER_BAD_REQUEST");
      expect(Date.now() - started, coding).toBeLessThan(2000);
      expect(seen, coding).toEqual([]);
    }
    // The ordinary chunked body still goes through.
    const chunked = await sendRaw(
      router.port,
      "POST /ok HTTP/1.1\r\nHost: shop.apps.example\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    expect(chunked.startsWith("HTTP/1.1 200 ")).toBe(true);
  });

  it("refuses a request with two Host headers (RFC 9112 §3.2) instead of routing by the first", async () => {
    seen.length = 0;
    const answer = await sendRaw(
      router.port,
      "GET / HTTP/1.1\r\nHost: other.apps.example\r\nHost: shop.apps.example\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
    );
    expect(answer.startsWith("HTTP/1.1 400 ")).toBe(true);
    expect(answer).toContain("application/problem+json");
    expect(answer).toContain("more than one Host header");
    expect(seen).toEqual([]);
  });

  it("drops a cookie's Domain when it reaches beyond the app; the cookie stays, host-only", async () => {
    const reply = await send({ port: router.port, host: "shop.apps.example" });
    expect(reply.body).toBe("app");
    expect(reply.headers["set-cookie"]).toEqual([
      "plain=1; Path=/",
      "own=1; Domain=shop.apps.example; Path=/",
      "parent=1; Path=/",
      "dotted=1; path=/; HttpOnly",
      "registrable=1; Secure",
      "kli8nt_session=planted; Path=/",
    ]);
  });

  it("lets a custom domain set cookies for its own parent, but not for the apps domain's", async () => {
    const reply = await send({ port: router.port, host: "www.shop.test" });
    expect(reply.headers["set-cookie"]).toEqual([
      "plain=1; Path=/",
      // Not a parent of www.shop.test: the browser drops this cookie itself.
      "own=1; Domain=shop.apps.example; Path=/",
      "parent=1; Path=/",
      "dotted=1; path=/; HttpOnly",
      "registrable=1; Secure",
      "kli8nt_session=planted; Path=/",
    ]);
    const parent = await startUpstreamOnce("token=1; Domain=shop.test; Path=/");
    table.set("custom", { kind: "upstream", url: parent.url });
    const domains = new DomainTable();
    domains.set("www.shop.test", "custom");
    const own = await createRouter({ port: 0, table, appsDomain: "apps.example", domains, tlsPort: 0 });
    try {
      const kept = await send({ port: own.port, host: "www.shop.test" });
      expect(kept.headers["set-cookie"]).toEqual(["token=1; Domain=shop.test; Path=/"]);
    } finally {
      await own.close();
      await parent.close();
    }
  });

  it("confines the cookies of a WebSocket upgrade's 101 the same way", async () => {
    const server = createServer();
    server.on("upgrade", (_req, socket) => {
      socket.end(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Set-Cookie: ws=1; Domain=apps.example; Path=/\r\n\r\n",
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    table.set("sock", {
      kind: "upstream",
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    try {
      const answer = await sendRaw(
        router.port,
        "GET /ws HTTP/1.1\r\nHost: sock.apps.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
      );
      expect(answer.startsWith("HTTP/1.1 101 ")).toBe(true);
      expect(answer).toContain("Set-Cookie: ws=1; Path=/\r\n");
    } finally {
      server.close();
    }
  });
});

function startUpstreamOnce(cookie: string): Promise<Upstream> {
  return startUpstream((req, res) => {
    req.resume();
    res.setHeader("set-cookie", cookie);
    res.end("custom");
  });
}
