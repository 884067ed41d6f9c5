import { Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router } from "./create-router.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import { send, startEchoUpstream, startUpstream, type Upstream } from "./testing.ts";

interface LoadResult {
  ok: number;
  failures: string[];
  byUpstream: Map<string, number>;
}

/** Keeps `workers` keep-alive clients busy against the app until `stop()` resolves. */
async function loadLoop(
  port: number,
  host: string,
  workers: number,
  during: () => Promise<void>,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const result: LoadResult = { ok: 0, failures: [], byUpstream: new Map() };
  let running = true;
  const worker = async (): Promise<void> => {
    while (running) {
      try {
        const reply = await send({ port, host, agent, headers: { accept: "application/json" } });
        if (reply.status >= 200 && reply.status < 300) {
          result.ok += 1;
          const name = (JSON.parse(reply.body) as { name: string }).name;
          result.byUpstream.set(name, (result.byUpstream.get(name) ?? 0) + 1);
        } else {
          result.failures.push(`${reply.status} ${reply.body.slice(0, 300)}`);
        }
      } catch (err) {
        result.failures.push(String(err));
      }
    }
  };
  const all = Array.from({ length: workers }, worker);
  await during();
  running = false;
  await Promise.all(all);
  agent.destroy();
  return result;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(10);
}

describe("router: switching a route under load", () => {
  const table = new MemoryRouteTable();
  let router: Router;
  const upstreams: Upstream[] = [];

  beforeAll(async () => {
    router = await createRouter({ port: 0, table });
  });
  afterAll(async () => {
    await router.close();
    await Promise.all(upstreams.map((u) => u.close()));
  });

  it("loses no request while the target flips between two healthy upstreams", async () => {
    const a = await startEchoUpstream("a");
    const b = await startEchoUpstream("b");
    upstreams.push(a, b);
    table.set("flip", { kind: "upstream", url: a.url });
    const result = await loadLoop(router.port, "flip.localhost", 16, async () => {
      for (let i = 0; i < 60; i += 1) {
        await sleep(25);
        table.set("flip", { kind: "upstream", url: i % 2 === 0 ? b.url : a.url });
      }
    });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(200);
    expect(result.byUpstream.get("a")).toBeGreaterThan(20);
    expect(result.byUpstream.get("b")).toBeGreaterThan(20);
  });

  it("loses no request when each old upstream is shut down right after the switch (blue/green)", async () => {
    let live = await startEchoUpstream("v0");
    table.set("bluegreen", { kind: "upstream", url: live.url });
    const result = await loadLoop(router.port, "bluegreen.localhost", 16, async () => {
      for (let v = 1; v <= 6; v += 1) {
        // The next deploy comes once this release is really serving (64 answers, 4 per client), not on
        // a timer: on a starved machine a replay to it could otherwise still be queued when it is stopped.
        await until(() => live.hits() >= 64);
        const next = await startEchoUpstream(`v${v}`);
        table.set("bluegreen", { kind: "upstream", url: next.url });
        const old = live;
        live = next;
        // Graceful stop right after the switch, with no drain: in-flight requests finish, idle keep-alive
        // sockets to the router are closed under its feet, new connections are refused.
        await new Promise<void>((resolve) => old.server.close(() => resolve()));
      }
      await sleep(150);
    });
    upstreams.push(live);
    expect(result.failures).toEqual([]);
    expect(result.byUpstream.get("v6")).toBeGreaterThan(0);
    const after = await send({ port: router.port, host: "bluegreen.localhost" });
    expect(JSON.parse(after.body)).toMatchObject({ name: "v6" });
  });

  it("replays an idempotent request once when its upstream dies as the route moves, never a POST", async () => {
    const next = await startEchoUpstream("next");
    const dying = await startUpstream((req) => {
      // The old release goes away with the request in hand, right after the route moved.
      table.set("moving", { kind: "upstream", url: next.url });
      req.socket.destroy();
    });
    upstreams.push(next, dying);
    table.set("moving", { kind: "upstream", url: dying.url });
    const get = await send({ port: router.port, host: "moving.localhost" });
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body)).toMatchObject({ name: "next" });

    table.set("moving", { kind: "upstream", url: dying.url });
    const post = await send({ port: router.port, host: "moving.localhost", method: "POST" });
    expect(post.status).toBe(502);
    expect(next.hits()).toBe(1);
  });

  it("does not replay when the app resets the connection and the route stays put", async () => {
    const crashing = await startUpstream((req) => req.socket.destroy());
    upstreams.push(crashing);
    table.set("crashy", { kind: "upstream", url: crashing.url });
    const reply = await send({ port: router.port, host: "crashy.localhost" });
    expect(reply.status).toBe(502);
    expect(crashing.hits()).toBe(1);
  });
});
