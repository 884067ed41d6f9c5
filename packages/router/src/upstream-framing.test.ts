import { Agent } from "node:http";
import { type AddressInfo, createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router } from "./create-router.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import { send, startUpstream, type Upstream } from "./testing.ts";

// The router parses upstream responses itself (llhttp, ADR 0073): these are the framings node:http's
// client used to handle for it.

/** An upstream that answers every request head on a connection with `answer(head)`, as raw bytes. */
async function rawUpstream(
  answer: (head: string) => string | undefined,
): Promise<{ url: string; server: Server }> {
  const server = createServer((socket) => {
    let buffered = "";
    socket.on("data", (d: Buffer) => {
      buffered += d.toString("latin1");
      for (let end = buffered.indexOf("\r\n\r\n"); end >= 0; end = buffered.indexOf("\r\n\r\n")) {
        const reply = answer(buffered.slice(0, end));
        buffered = buffered.slice(end + 4);
        if (reply === undefined) socket.end();
        else socket.write(reply, "latin1");
      }
    });
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("router: upstream response framing", () => {
  const table = new MemoryRouteTable();
  let router: Router;
  let manyHeaders: Upstream;
  let counted: Upstream;
  const raws: Server[] = [];

  beforeAll(async () => {
    const hints = await rawUpstream(
      () =>
        "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal",
    );
    const closeDelimited = await rawUpstream(() => undefined);
    closeDelimited.server.removeAllListeners("connection");
    closeDelimited.server.on("connection", (socket) => {
      socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"));
      socket.on("error", () => socket.destroy());
    });
    const garbage = await rawUpstream(() => "SMTP ready\r\n\r\n");
    raws.push(hints.server, closeDelimited.server, garbage.server);
    manyHeaders = await startUpstream((_req, res) => {
      for (let i = 0; i < 40; i += 1) res.setHeader(`x-field-${i}`, String(i));
      res.end("many");
    });
    counted = await startUpstream((req, res) => {
      res.writeHead(200, { "content-length": "5", "x-method": req.method ?? "" });
      res.end(req.method === "HEAD" ? undefined : "hello");
    });
    table.set("hints", { kind: "upstream", url: hints.url });
    table.set("closing", { kind: "upstream", url: closeDelimited.url });
    table.set("garbage", { kind: "upstream", url: garbage.url });
    table.set("many", { kind: "upstream", url: manyHeaders.url });
    table.set("counted", { kind: "upstream", url: counted.url });
    router = await createRouter({ port: 0, table });
  });

  afterAll(async () => {
    await router.close();
    await Promise.all([manyHeaders.close(), counted.close()]);
    for (const server of raws) server.close();
  });

  it("skips 1xx interim responses and relays the final one", async () => {
    const reply = await send({ port: router.port, host: "hints.localhost" });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("final");
  });

  it("relays a body delimited by the upstream closing the connection", async () => {
    const reply = await send({ port: router.port, host: "closing.localhost" });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("until the end");
  });

  it("answers 502 when the upstream does not speak HTTP", async () => {
    const reply = await send({
      port: router.port,
      host: "garbage.localhost",
      headers: { accept: "application/json" },
    });
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
  });

  it("keeps every field of a head with more than 32 of them", async () => {
    const reply = await send({ port: router.port, host: "many.localhost" });
    expect(reply.body).toBe("many");
    for (let i = 0; i < 40; i += 1) expect(reply.headers[`x-field-${i}`]).toBe(String(i));
  });

  it("relays HEAD without a body and keeps the upstream connection in step for the next request", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let connections = 0;
    counted.server.on("connection", () => {
      connections += 1;
    });
    const head = await send({ port: router.port, host: "counted.localhost", method: "HEAD", agent });
    const get = await send({ port: router.port, host: "counted.localhost", agent });
    agent.destroy();
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("5");
    expect(head.body).toBe("");
    expect(get.headers["x-method"]).toBe("GET");
    expect(get.body).toBe("hello");
    // One upstream connection for both: the HEAD answer left it at the start of the next response.
    expect(connections).toBe(1);
  });
});
