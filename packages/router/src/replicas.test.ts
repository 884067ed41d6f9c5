import { type ChildProcess, spawn } from "node:child_process";
import { Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router } from "./create-router.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import { send, startEchoUpstream, startUpstream, type Upstream } from "./testing.ts";

// Health-aware round robin over an app's web replicas (issue 21, ADR 0170), against real upstream servers.

const JSON_ACCEPT = { accept: "application/json" };
const nameOf = (body: string): string => (JSON.parse(body) as { name: string }).name;

/** A replica in its own process, so that it can be killed as a crashed container is. */
async function startReplicaProcess(name: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `const s=require("node:http").createServer((q,r)=>{q.resume();r.writeHead(200,{"content-type":"application/json"});r.end(JSON.stringify({name:${JSON.stringify(name)}}))});s.listen(0,"127.0.0.1",()=>console.log(s.address().port))`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once("error", reject);
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/** A URL nothing listens on: connects are refused. */
async function refusedUrl(): Promise<string> {
  const gone = await startUpstream(() => undefined);
  await gone.close();
  return gone.url;
}

describe("router: several upstreams per route", () => {
  const table = new MemoryRouteTable();
  let router: Router;
  const upstreams: Upstream[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    router = await createRouter({ port: 0, table, upstreamDownMs: 2000 });
  });

  afterAll(async () => {
    await router.close();
    await Promise.all(upstreams.map((u) => u.close()));
    for (const child of children) child.kill("SIGKILL");
  });

  it("sends requests to both replicas in turn", async () => {
    const a = await startEchoUpstream("a");
    const b = await startEchoUpstream("b");
    upstreams.push(a, b);
    table.set("pair", { kind: "upstream", url: a.url, urls: [a.url, b.url] });
    const names: string[] = [];
    for (let i = 0; i < 20; i++) {
      const reply = await send({ port: router.port, host: "pair.localhost" });
      expect(reply.status).toBe(200);
      names.push(nameOf(reply.body));
    }
    expect(names.filter((n) => n === "a")).toHaveLength(10);
    expect(names.filter((n) => n === "b")).toHaveLength(10);
  });

  it("loses no idempotent GET when one replica is killed under load", async () => {
    const a = await startReplicaProcess("a");
    const b = await startReplicaProcess("b");
    children.push(a.child, b.child);
    table.set("kill", { kind: "upstream", url: a.url, urls: [a.url, b.url] });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const seen = new Map<string, number>();
    const failures: string[] = [];
    let running = true;
    let afterKill = 0;
    let killed = false;
    const record = (status: number, body: string): void => {
      if (status !== 200) failures.push(`${status} ${body.slice(0, 200)}`);
      else seen.set(nameOf(body), (seen.get(nameOf(body)) ?? 0) + 1);
      if (killed) afterKill += 1;
    };
    const worker = async (): Promise<void> => {
      while (running) {
        await send({ port: router.port, host: "kill.localhost", agent, headers: JSON_ACCEPT }).then(
          (reply) => record(reply.status, reply.body),
          (err: unknown) => failures.push(String(err)),
        );
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await new Promise((resolve) => setTimeout(resolve, 700));
    a.child.kill("SIGKILL");
    killed = true;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    running = false;
    await Promise.all(workers);
    agent.destroy();
    expect(failures).toEqual([]);
    expect(seen.get("a") ?? 0).toBeGreaterThan(0);
    expect(seen.get("b") ?? 0).toBeGreaterThan(0);
    expect(afterKill).toBeGreaterThan(50);
  });

  it("sends a POST with a body to the next replica when the first refuses the connection", async () => {
    const echo = await startUpstream((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => res.end(`got ${Buffer.concat(chunks).toString()}`));
    });
    upstreams.push(echo);
    const refused = await refusedUrl();
    table.set("post", { kind: "upstream", url: refused, urls: [refused, echo.url] });
    for (let i = 0; i < 4; i++) {
      const reply = await send({ port: router.port, host: "post.localhost", method: "POST", body: `n=${i}` });
      expect(reply.status).toBe(200);
      expect(reply.body).toBe(`got n=${i}`);
    }
  });

  it("answers the 502 problem when every replica refuses", async () => {
    const one = await refusedUrl();
    const two = await refusedUrl();
    table.set("down", { kind: "upstream", url: one, urls: [one, two] });
    for (let i = 0; i < 3; i++) {
      const reply = await send({ port: router.port, host: "down.localhost", headers: JSON_ACCEPT });
      expect(reply.status).toBe(502);
      expect(reply.headers["content-type"]).toBe("application/problem+json");
      expect(JSON.parse(reply.body)).toMatchObject({ status: 502, code: "UPSTREAM_UNAVAILABLE" });
    }
    const page = await send({ port: router.port, host: "down.localhost" });
    expect(page.status).toBe(502);
    expect(page.headers["content-type"]).toContain("text/html");
  });

  it("answers 503 'This app is stopped' for a stopped app", async () => {
    table.set("asleep", { kind: "status", status: "stopped", message: "Stopped by its owner." });
    const problem = await send({ port: router.port, host: "asleep.localhost", headers: JSON_ACCEPT });
    expect(problem.status).toBe(503);
    expect(problem.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(problem.body)).toMatchObject({
      status: 503,
      code: "APP_STOPPED",
      title: "This app is stopped",
      detail: "Stopped by its owner.",
    });
    const page = await send({ port: router.port, host: "asleep.localhost" });
    expect(page.status).toBe(503);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.body).toContain("This app is stopped");
  });
});
