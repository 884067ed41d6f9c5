import { createServer, type Server } from "node:http";
import { createApp, createUser, type Database, openTestDatabase, updateApp } from "@kli8nt/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./free-port.ts";
import { waitHealthy } from "./health-check.ts";
import { appHealthPath } from "./health-path.ts";

// The health-check path setting (issue 26): read from the app's settings on PGlite, probed over real HTTP.
let database: Database;
let server: Server;
let port: number;

beforeAll(async () => {
  database = await openTestDatabase("pglite");
  port = await freePort();
  // `/` fails (like an app whose root needs a session), only /healthz answers below 500.
  server = createServer((req, res) => {
    res.statusCode = req.url === "/healthz" ? 200 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await database.close();
});

const status = async () => ({ running: true, exitCode: null });

describe("the health-check path", () => {
  it("is / by default and the app's setting otherwise", async () => {
    const user = await createUser(database.db, { login: "hc" });
    const app = await createApp(database.db, user.id, {
      name: "hc",
      repository: { url: "https://github.com/acme/hc", branch: "main", rootDir: "." },
      port: null,
    });
    expect(await appHealthPath(database.db, app.id)).toBe("/");
    await updateApp(database.db, user.id, "hc", { buildSettings: { healthCheckPath: "/healthz" } });
    expect(await appHealthPath(database.db, app.id)).toBe("/healthz");
  });

  it("is what waitHealthy probes", async () => {
    const upstream = `http://127.0.0.1:${port}`;
    const root = await waitHealthy(upstream, port, { timeoutMs: 500, status });
    expect(root).toMatchObject({ ok: false, reason: expect.stringContaining("HTTP 503") });
    expect(await waitHealthy(upstream, port, { timeoutMs: 5000, status, path: "/healthz" })).toMatchObject({
      ok: true,
    });
  });
});
