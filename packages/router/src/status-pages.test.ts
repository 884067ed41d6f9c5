import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router } from "./create-router.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import { send, sendRaw, startBlackhole, startUpstream, type Upstream } from "./testing.ts";

const JSON_ACCEPT = { accept: "application/json" };

describe("router: its own pages", () => {
  const table = new MemoryRouteTable();
  let router: Router;
  let blackhole: { port: number; close(): void };
  let silent: Upstream;

  beforeAll(async () => {
    blackhole = await startBlackhole();
    // A port that was just free: nothing listens there, connects are refused.
    const gone = await startUpstream(() => undefined);
    await gone.close();
    table.set("building", {
      kind: "status",
      status: "building",
      message: "Building commit abc123 (step 3/5).",
    });
    table.set("fresh", { kind: "status", status: "no-release", message: "No deployment has succeeded yet." });
    table.set("broken", { kind: "status", status: "crashed", message: "<script>alert(1)</script> exited 1" });
    table.set("refused", { kind: "upstream", url: gone.url });
    table.set("hanging", { kind: "upstream", url: `http://127.0.0.1:${blackhole.port}` });
    silent = await startUpstream((req) => req.resume());
    table.set("silent", { kind: "upstream", url: silent.url });
    router = await createRouter({ port: 0, table, connectTimeoutMs: 300, responseTimeoutMs: 300 });
  });

  afterAll(async () => {
    await router.close();
    await silent.close();
    blackhole.close();
  });

  it("404 for a host outside the apps domain, saying where apps are", async () => {
    const reply = await send({ port: router.port, host: "example.com" });
    expect(reply.status).toBe(404);
    expect(reply.headers["content-type"]).toContain("text/html");
    expect(reply.body).toContain("No app at this address");
    expect(reply.body).toContain(`.localhost:${router.port}/`);
  });

  it("404 for an app that does not exist, as a JSON problem when asked", async () => {
    const reply = await send({ port: router.port, host: "nope.localhost", headers: JSON_ACCEPT });
    expect(reply.status).toBe(404);
    expect(reply.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(reply.body)).toMatchObject({ status: 404, code: "APP_NOT_FOUND" });
  });

  it("503 while building, with Retry-After and a page that reloads itself", async () => {
    const reply = await send({ port: router.port, host: "building.localhost" });
    expect(reply.status).toBe(503);
    expect(reply.headers["retry-after"]).toBe("5");
    expect(reply.body).toContain("building is being built");
    expect(reply.body).toContain("Building commit abc123 (step 3/5).");
    expect(reply.body).toContain('http-equiv="refresh"');
  });

  it("503 when there is no release yet, telling how to deploy", async () => {
    const reply = await send({ port: router.port, host: "fresh.localhost", headers: JSON_ACCEPT });
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toMatchObject({
      code: "APP_NO_RELEASE",
      detail: "No deployment has succeeded yet.",
    });
  });

  it("502 for a crashed app, with the message escaped", async () => {
    const reply = await send({ port: router.port, host: "broken.localhost" });
    expect(reply.status).toBe(502);
    expect(reply.body).toContain("crashed or is not answering");
    expect(reply.body).toContain("&lt;script&gt;");
    expect(reply.body).not.toContain("<script>");
  });

  it("502 when the upstream refuses the connection", async () => {
    const reply = await send({ port: router.port, host: "refused.localhost", headers: JSON_ACCEPT });
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
  });

  it("502 after the connect timeout when the upstream never accepts", async () => {
    const started = Date.now();
    const reply = await send({ port: router.port, host: "hanging.localhost", headers: JSON_ACCEPT });
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toMatchObject({ code: "UPSTREAM_TIMEOUT" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("502 when the app takes the request but never starts answering", async () => {
    const reply = await send({ port: router.port, host: "silent.localhost", headers: JSON_ACCEPT });
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toMatchObject({
      code: "UPSTREAM_TIMEOUT",
      detail: "The app accepted the request but did not start answering in time.",
    });
  });

  it("answers HEAD with the status and no body", async () => {
    const reply = await send({ port: router.port, host: "fresh.localhost", method: "HEAD" });
    expect(reply.status).toBe(503);
    expect(reply.body).toBe("");
  });
});

describe("router: bad requests get a clear 4xx and never crash it", () => {
  const table = new MemoryRouteTable();
  let router: Router;

  beforeAll(async () => {
    table.set("ok", { kind: "status", status: "no-release", message: "nothing yet" });
    router = await createRouter({ port: 0, table });
  });
  afterAll(() => router.close());

  it.each([
    ["an invalid Host", "GET / HTTP/1.1\r\nHost: exa mple\r\nConnection: close\r\n\r\n", 400],
    [
      "a Host with a bad port",
      "GET / HTTP/1.1\r\nHost: ok.localhost:99999\r\nConnection: close\r\n\r\n",
      400,
    ],
    ["no Host at all (HTTP/1.1)", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 400],
    ["no Host at all (HTTP/1.0)", "GET / HTTP/1.0\r\n\r\n", 400],
    [
      "an absolute-form target",
      "GET http://ok.localhost/ HTTP/1.1\r\nHost: ok.localhost\r\nConnection: close\r\n\r\n",
      400,
    ],
    ["a huge header", `GET / HTTP/1.1\r\nHost: ok.localhost\r\nX-Big: ${"a".repeat(40_000)}\r\n\r\n`, 431],
    ["garbage", "\u0001\u0002 not http at all\r\n\r\n", 400],
    ["a nested subdomain", "GET / HTTP/1.1\r\nHost: a.b.localhost\r\nConnection: close\r\n\r\n", 404],
  ])("%s", async (_name, raw, status) => {
    const answer = await sendRaw(router.port, raw);
    expect(answer.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect(answer).toContain("Kli8nt router");
    const after = await send({ port: router.port, host: "ok.localhost" });
    expect(after.status).toBe(503);
  });
});

describe("router: a failing route table", () => {
  it("answers 500 for that request and keeps serving", async () => {
    const table = new MemoryRouteTable();
    table.set("ok", { kind: "status", status: "no-release", message: "nothing yet" });
    const flaky = {
      set: table.set.bind(table),
      delete: table.delete.bind(table),
      get: (app: string) => {
        if (app === "boom") throw new Error("route store unavailable");
        return table.get(app);
      },
    };
    const router = await createRouter({ port: 0, table: flaky });
    try {
      const reply = await send({ port: router.port, host: "boom.localhost", headers: JSON_ACCEPT });
      expect(reply.status).toBe(500);
      expect(JSON.parse(reply.body)).toMatchObject({ code: "ROUTER_INTERNAL" });
      expect((await send({ port: router.port, host: "ok.localhost" })).status).toBe(503);
    } finally {
      await router.close();
    }
  });
});
