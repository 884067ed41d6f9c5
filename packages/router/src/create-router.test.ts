import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router } from "./create-router.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import { send, sendRaw, startEchoUpstream, startUpstream, type Upstream } from "./testing.ts";

type Echo = { name: string; method: string; url: string; headers: Record<string, string>; raw: string[] };

const namesIn = (raw: string[]): string[] => raw.filter((_v, i) => i % 2 === 0).map((n) => n.toLowerCase());

describe("router: routing and forwarded headers", () => {
  const table = new MemoryRouteTable();
  let router: Router;
  let a: Upstream;
  let b: Upstream;
  let cookies: Upstream;

  beforeAll(async () => {
    a = await startEchoUpstream("a");
    b = await startEchoUpstream("b");
    cookies = await startUpstream((_req, res) => {
      res.setHeader("set-cookie", ["one=1; Path=/", "two=2; Path=/"]);
      res.setHeader("connection", "x-upstream-private, keep-alive");
      res.setHeader("x-upstream-private", "secret");
      res.setHeader("proxy-authenticate", "Basic");
      res.end("ok");
    });
    table.set("alpha", { kind: "upstream", url: a.url });
    table.set("beta", { kind: "upstream", url: `${b.url}/` });
    table.set("cookies", { kind: "upstream", url: cookies.url });
    router = await createRouter({ port: 0, table });
  });

  afterAll(async () => {
    await router.close();
    await Promise.all([a.close(), b.close(), cookies.close()]);
  });

  it("tells where an app is served", () => {
    expect(router.appUrl("Alpha")).toBe(`http://alpha.localhost:${router.port}/`);
    expect(router.url).toBe(`http://127.0.0.1:${router.port}`);
  });

  it("routes each <app>.localhost host to its own upstream, with or without port, any case", async () => {
    const viaA = await send({ port: router.port, host: "alpha.localhost", path: "/x?y=1" });
    const viaB = await send({ port: router.port, host: `BETA.localhost:${router.port}` });
    const viaDot = await send({ port: router.port, host: "beta.localhost." });
    expect(viaA.status).toBe(200);
    expect((JSON.parse(viaA.body) as Echo).name).toBe("a");
    expect((JSON.parse(viaA.body) as Echo).url).toBe("/x?y=1");
    expect((JSON.parse(viaB.body) as Echo).name).toBe("b");
    expect((JSON.parse(viaDot.body) as Echo).name).toBe("b");
  });

  it("passes the method and body, and keeps the original Host", async () => {
    const reply = await send({
      port: router.port,
      host: "alpha.localhost",
      method: "DELETE",
      path: "/items/3",
    });
    const echo = JSON.parse(reply.body) as Echo;
    expect(echo.method).toBe("DELETE");
    expect(echo.headers.host).toBe("alpha.localhost");
    expect(namesIn(echo.raw).filter((n) => n === "host")).toHaveLength(1);
  });

  it("sets X-Forwarded-For/-Proto/-Host/-Port, overwriting what the client sent (ADR 0139)", async () => {
    const reply = await send({
      port: router.port,
      host: `alpha.localhost:${router.port}`,
      headers: { "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https", "x-forwarded-host": "evil" },
    });
    const h = (JSON.parse(reply.body) as Echo).headers;
    expect(h["x-forwarded-for"]).toBe("127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("http");
    expect(h["x-forwarded-host"]).toBe(`alpha.localhost:${router.port}`);
    expect(h["x-forwarded-port"]).toBe(String(router.port));
    const names = namesIn((JSON.parse(reply.body) as Echo).raw);
    expect(names.filter((n) => n === "x-forwarded-for")).toHaveLength(1);
    expect(names.filter((n) => n === "x-forwarded-proto")).toHaveLength(1);
  });

  it("keeps repeated request headers as separate lines", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const headers = ["Host", "alpha.localhost", "X-Multi", "one", "X-Multi", "two"];
      const req = request({ host: "127.0.0.1", port: router.port, headers }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
        });
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.end();
    });
    const raw = (JSON.parse(body) as Echo).raw;
    expect(raw.filter((_v, i) => raw[i - 1] === "X-Multi")).toEqual(["one", "two"]);
  });

  it("strips hop-by-hop request headers, including those named in Connection", async () => {
    const reply = await send({
      port: router.port,
      host: "alpha.localhost",
      headers: {
        connection: "keep-alive, x-private-hop",
        "x-private-hop": "1",
        "proxy-authorization": "Basic abc",
        te: "trailers",
        "x-end-to-end": "kept",
      },
    });
    const h = (JSON.parse(reply.body) as Echo).headers;
    expect(h["x-private-hop"]).toBeUndefined();
    expect(h["proxy-authorization"]).toBeUndefined();
    expect(h.te).toBeUndefined();
    expect(h["x-end-to-end"]).toBe("kept");
  });

  it("strips hop-by-hop response headers and keeps repeated Set-Cookie", async () => {
    const reply = await send({ port: router.port, host: "cookies.localhost" });
    expect(reply.status).toBe(200);
    expect(reply.headers["set-cookie"]).toEqual(["one=1; Path=/", "two=2; Path=/"]);
    expect(reply.headers["x-upstream-private"]).toBeUndefined();
    expect(reply.headers["proxy-authenticate"]).toBeUndefined();
  });

  it("survives raw non-ASCII bytes in the path and in header values", async () => {
    const answer = await sendRaw(
      router.port,
      "GET /caf\u00e9/\u{1f600}?q=\u00ff HTTP/1.1\r\nHost: alpha.localhost\r\nX-Name: Ren\u00e9e\r\nConnection: close\r\n\r\n",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 (200|400) /);
    expect((await send({ port: router.port, host: "alpha.localhost" })).status).toBe(200);
  });

  it("applies a route change to the next request", async () => {
    table.set("gamma", { kind: "upstream", url: a.url });
    const first = await send({ port: router.port, host: "gamma.localhost" });
    table.set("gamma", { kind: "upstream", url: b.url });
    const second = await send({ port: router.port, host: "gamma.localhost" });
    table.delete("gamma");
    const third = await send({ port: router.port, host: "gamma.localhost" });
    expect((JSON.parse(first.body) as Echo).name).toBe("a");
    expect((JSON.parse(second.body) as Echo).name).toBe("b");
    expect(third.status).toBe(404);
  });
});
