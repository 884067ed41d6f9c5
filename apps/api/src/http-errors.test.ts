import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, type Harness, startHarness } from "./test/harness.ts";

// Every error status the api can answer, Fastify's and Node's own included, must be problem+json with a
// detail a person can act on. The real api on a real port: some of these never reach Fastify's handler.
let h: Harness;
let port: number;
beforeAll(async () => {
  h = await startHarness();
  port = Number(new URL(await h.app.listen({ host: "127.0.0.1", port: 0 })).port);
});
afterAll(async () => h?.close());

/** Sends raw bytes and reads the whole answer (the server closes the connection after a client error). */
function raw(bytes: string): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(bytes));
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString("utf8");
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", body = ""] = text.split("\r\n\r\n");
      resolve({
        status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]),
        type: /content-type: ([^\r]+)/i.exec(head)?.[1] ?? "",
        body: JSON.parse(body),
      });
    });
  });
}

function expectProblem(
  res: { status: number; type: string; body: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(res.status).toBe(status);
  expect(res.type).toContain("application/problem+json");
  expect(res.body).toMatchObject({
    status,
    code,
    detail: expect.any(String),
    type: expect.stringContaining(code.toLowerCase().replaceAll("_", "-")),
  });
  expect(String(res.body.detail).length).toBeGreaterThan(15);
}

async function get(path: string, headers: Record<string, string> = bearer(h.alice.token)) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    body: (await res.json()) as Record<string, unknown>,
  };
}

describe("error answers are problem+json", () => {
  it("400 for NUL in the query, a path parameter or the body, never a 500 from the database", async () => {
    expectProblem(await get("/api/apps?cursor=%00"), 400, "INPUT_INVALID");
    expectProblem(await get("/api/apps?cursor=a%00b"), 400, "INPUT_INVALID");
    expectProblem(await get("/api/apps/%00"), 400, "INPUT_INVALID");
    const res = await h.app.inject({
      method: "POST",
      url: "/api/apps",
      headers: bearer(h.alice.token),
      payload: { name: "nul", repository: { url: "https://github.com/a/b", branch: "ma\u0000in" } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: "INPUT_INVALID",
      detail: expect.stringContaining("body.repository.branch"),
    });
  });

  it("400 for a URL that does not decode, 414 for an overlong path parameter or request line", async () => {
    expectProblem(await get("/api/apps/%E0%A4%A"), 400, "URL_MALFORMED");
    expectProblem(await get(`/api/apps/${"a".repeat(300)}`), 414, "URI_TOO_LONG");
    expectProblem(
      await raw(`GET /api/apps?x=${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      414,
      "URI_TOO_LONG",
    );
  });

  it("431 for overlong headers and 400 for bytes that are not HTTP, from Node's parser", async () => {
    expectProblem(
      await raw(`GET /api/apps HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`),
      431,
      "HEADERS_TOO_LARGE",
    );
    expectProblem(await raw("\u0000\u0001garbage\r\n\r\n"), 400, "REQUEST_MALFORMED");
  });

  it("404, 413, 415 and malformed JSON from Fastify itself", async () => {
    expectProblem(await get("/api/no-such-route"), 404, "ROUTE_NOT_FOUND");
    const send = async (payload: string, type: string) => {
      const res = await h.app.inject({
        method: "POST",
        url: "/api/apps",
        headers: { ...bearer(h.alice.token), "content-type": type },
        payload,
      });
      return { status: res.statusCode, type: String(res.headers["content-type"]), body: res.json() };
    };
    expectProblem(await send(`{"name":"${"x".repeat(70_000)}"}`, "application/json"), 413, "BODY_TOO_LARGE");
    expectProblem(await send("name=x", "application/x-www-form-urlencoded"), 415, "MEDIA_TYPE_UNSUPPORTED");
    expectProblem(await send('{"name":', "application/json"), 400, "BODY_MALFORMED");
  });
});
