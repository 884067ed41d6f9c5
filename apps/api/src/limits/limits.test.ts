import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { bearer, createAppVia, type Harness, sampleApp, startHarness } from "../test/harness.ts";

const opened: Harness[] = [];
const sockets: WebSocket[] = [];
afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  for (const h of opened) await h.close();
});
async function harness(env: Record<string, string>) {
  const h = await startHarness(env);
  opened.push(h);
  return h;
}

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers["content-type"])).toContain("application/problem+json");
  expect(res.json()).toMatchObject({ status, code, detail: expect.stringMatching(/limit/) });
}

describe("rate limits", () => {
  it("answers 429 problem+json with Retry-After past the limit, per credential, never for probes", async () => {
    const h = await harness({ KLI8NT_RATE_LIMIT_PER_MINUTE: "5" });
    const me = (token: string) => h.app.inject({ url: "/api/me", headers: bearer(token) });
    for (let i = 0; i < 5; i++) expect((await me(h.alice.token)).statusCode).toBe(200);
    const over = await me(h.alice.token);
    expectProblem(over, 429, "RATE_LIMITED");
    expect(Number(over.headers["retry-after"])).toBeGreaterThan(0);
    expect((await me(h.bob.token)).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) expect((await h.app.inject({ url: "/healthz" })).statusCode).toBe(200);
  });

  it("limits sign-in attempts per address, tighter than the API", async () => {
    const h = await harness({ KLI8NT_SIGN_IN_RATE_LIMIT_PER_MINUTE: "3" });
    const attempt = () => h.app.inject({ url: "/auth/link/0123456789abcdef0123456789abcdef" });
    for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(401);
    const over = await attempt();
    expectProblem(over, 429, "RATE_LIMITED");
    expect(over.headers["retry-after"]).toBeDefined();
  });
});

describe("per-user app quota", () => {
  it("refuses the app past KLI8NT_MAX_APPS_PER_USER with a problem naming the limit, for that user only", async () => {
    const h = await harness({ KLI8NT_MAX_APPS_PER_USER: "2" });
    await createAppVia(h.app, h.alice.token, "one");
    await createAppVia(h.app, h.alice.token, "two");
    const third = await h.app.inject({
      method: "POST",
      url: "/api/apps",
      headers: bearer(h.alice.token),
      payload: sampleApp("three"),
    });
    expectProblem(third, 403, "APP_QUOTA_REACHED");
    expect(third.json().detail).toContain("2");
    await createAppVia(h.app, h.bob.token, "bobs");
    await h.app.inject({ method: "DELETE", url: "/api/apps/one", headers: bearer(h.alice.token) });
    await createAppVia(h.app, h.alice.token, "three");
  });
});

describe("per-user WebSocket cap", () => {
  it("refuses the socket past KLI8NT_MAX_SOCKETS_PER_USER before the upgrade, and frees a slot on close", async () => {
    const h = await harness({ KLI8NT_MAX_SOCKETS_PER_USER: "2" });
    const base = (await h.app.listen({ host: "127.0.0.1", port: 0 })).replace("http://", "ws://");
    const open = (token: string) =>
      new Promise<{ ws?: WebSocket; status: number; body?: { code: string; detail: string } }>(
        (resolve, reject) => {
          const ws = new WebSocket(`${base}/api/events`, { headers: bearer(token) });
          sockets.push(ws);
          ws.once("open", () => resolve({ ws, status: 101 }));
          ws.once("unexpected-response", (_req, res) => {
            let text = "";
            res.on("data", (c: Buffer) => {
              text += c.toString();
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          });
          ws.once("error", reject);
        },
      );
    const first = await open(h.alice.token);
    expect((await open(h.alice.token)).status).toBe(101);
    const third = await open(h.alice.token);
    expect(third).toMatchObject({
      status: 429,
      body: { code: "TOO_MANY_SOCKETS", detail: expect.stringContaining("limit is 2") },
    });
    expect((await open(h.bob.token)).status).toBe(101);
    first.ws?.close();
    await new Promise((resolve) => first.ws?.once("close", resolve));
    await expect.poll(async () => (await open(h.alice.token)).status, { timeout: 5000 }).toBe(101);
  });
});
