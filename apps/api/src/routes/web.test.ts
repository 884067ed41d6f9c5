import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installProblemJson } from "../plugins/problem-json.ts";
import { webRoutes } from "./web.ts";

const html = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

async function serveFrom(dir: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  installProblemJson(app);
  app.get("/api/apps", async () => ({ items: [] }));
  await app.register(webRoutes({ dir }));
  return app;
}

describe("webRoutes with a built UI", () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "kli8nt-web-"));
    mkdirSync(path.join(dir, "assets"));
    writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>Kli8nt</title>");
    writeFileSync(path.join(dir, "assets", "index-abc123.js"), "console.log(1)");
    app = await serveFrom(dir);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers client-side routes that accept HTML with index.html, revalidated each time", async () => {
    for (const url of ["/", "/apps/new", "/apps/shop/logs?phase=build"]) {
      const res = await app.inject({ url, headers: html });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.body).toContain("<title>Kli8nt</title>");
    }
  });

  it("serves hashed assets as immutable for a year", async () => {
    const res = await app.inject({ url: "/assets/index-abc123.js" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("console.log(1)");
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  });

  it("leaves api routes to the api and unknown api paths to problem+json, even for browsers", async () => {
    expect((await app.inject({ url: "/api/apps", headers: html })).json()).toEqual({ items: [] });
    for (const url of ["/api/nope", "/auth/nope", "/api"]) {
      const res = await app.inject({ url, headers: html });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe("ROUTE_NOT_FOUND");
    }
  });

  it("answers a missing file, or a non-HTML request, with the api's 404", async () => {
    for (const [url, headers] of [
      ["/assets/gone.js", html],
      ["/apps/shop", { accept: "application/json" }],
    ] as const) {
      const res = await app.inject({ url, headers });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().code).toBe("ROUTE_NOT_FOUND");
    }
  });

  it("never serves a file from outside the build", async () => {
    for (const url of [
      "/../../../../etc/passwd",
      "/..%2f..%2f..%2f..%2fetc%2fpasswd",
      "/assets/..%2f..%2f..%2fetc%2fhosts",
    ]) {
      const res = await app.inject({ url, headers: html });
      expect(res.body, url).not.toMatch(/root:|localhost/);
    }
  });
});

describe("webRoutes without a build", () => {
  it("says how to build the UI instead of a blank page", async () => {
    const app = await serveFrom(path.join(tmpdir(), "kli8nt-web-missing-dir"));
    const res = await app.inject({ url: "/apps/shop", headers: html });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain("npm run build -w @kli8nt/web");
    expect((await app.inject({ url: "/api/nope", headers: html })).statusCode).toBe(404);
    await app.close();
  });
});
