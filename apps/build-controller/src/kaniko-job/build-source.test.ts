import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSourceClient } from "./build-source.ts";
import { loadKanikoProcessConfig } from "./config.ts";

const TOKEN = "internal-token-0123456789abcdef-0123456789";
const ANSWER = { ownerId: "usr_1", port: 8081, cloneToken: "gho_clone", appId: "app_1" };

// A real HTTP server whose answers the test scripts, one per request.
let server: Server;
let apiUrl = "";
const script: Array<number | "hang" | object> = [];
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const next = script.shift() ?? 200;
    if (next === "hang") return;
    if (typeof next === "object") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ...ANSWER, ...next }));
      return;
    }
    res.writeHead(next, { "content-type": "application/json" });
    res.end(next === 200 ? JSON.stringify(ANSWER) : JSON.stringify({ code: "X" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = (extra: { attempts?: number; timeoutMs?: number } = {}) =>
  buildSourceClient({ apiUrl, internalToken: TOKEN, sleep: async () => undefined, ...extra });

describe("buildSourceClient", () => {
  it("POSTs with the internal token and returns owner, port and token", async () => {
    seen.length = 0;
    expect(await client()("dep_1")).toEqual({ ownerId: "usr_1", port: 8081, cloneToken: "gho_clone" });
    expect(seen[0]?.method).toBe("POST");
    expect(seen[0]?.url).toBe("/internal/v1/builds/dep_1/source");
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("retries 5xx, 429 and timeouts, then gives up with an error that names no secret", async () => {
    script.push(503, 429, "hang");
    seen.length = 0;
    expect(await client({ timeoutMs: 200 })("dep_2")).toMatchObject({ ownerId: "usr_1" });
    expect(seen).toHaveLength(4);
    script.push(500, 500);
    const failed = await client({ attempts: 2 })("dep_3").catch((e: Error) => e);
    expect(String(failed)).toContain("answered 500");
    expect(String(failed)).not.toContain(TOKEN);
  });

  it("returns the app's build settings as stored (null cleared), and leaves out settings it cannot read", async () => {
    script.push({ buildSettings: { releaseCommand: "node migrate.js", buildTarget: null } });
    expect(await client()("dep_s")).toMatchObject({ buildSettings: { releaseCommand: "node migrate.js" } });
    script.push({ buildSettings: { releaseCommand: "a\nRUN evil" } });
    const answer = await client()("dep_t");
    expect(answer).toMatchObject({ ownerId: "usr_1" });
    expect(answer).not.toHaveProperty("buildSettings");
  });

  it("answers null for an unknown deployment (404) or one past building (409)", async () => {
    script.push(404, 409);
    expect(await client()("dep_4")).toBeNull();
    expect(await client()("dep_5")).toBeNull();
  });

  it("does not retry a refused token (401): that is a configuration error", async () => {
    script.push(401, 200);
    seen.length = 0;
    await expect(client()("dep_6")).rejects.toThrow(/answered 401/);
    expect(seen).toHaveLength(1);
    script.length = 0;
  });
});

describe("loadKanikoProcessConfig", () => {
  const base = { KLI8NT_RABBITMQ_URL: "amqp://mq", KLI8NT_API_URL: "http://kli8nt-api.kli8nt.svc/" };

  it("needs the api URL and an internal token of 32+ characters, from the variable or a _FILE", () => {
    expect(loadKanikoProcessConfig({ ...base, KLI8NT_INTERNAL_TOKEN: TOKEN })).toMatchObject({
      apiUrl: "http://kli8nt-api.kli8nt.svc",
      internalToken: TOKEN,
    });
    const file = join(mkdtempSync(join(tmpdir(), "kli8nt-token-")), "token");
    writeFileSync(file, `${TOKEN}\n`);
    expect(loadKanikoProcessConfig({ ...base, KLI8NT_INTERNAL_TOKEN_FILE: file }).internalToken).toBe(TOKEN);
    expect(() =>
      loadKanikoProcessConfig({ KLI8NT_RABBITMQ_URL: "amqp://mq", KLI8NT_INTERNAL_TOKEN: "x" }),
    ).toThrow(/KLI8NT_API_URL[\s\S]*KLI8NT_INTERNAL_TOKEN: at least 32 characters/);
  });
});
