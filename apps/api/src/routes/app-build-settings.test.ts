import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, type Harness, sampleApp, startHarness } from "../test/harness.ts";

// Issue 26: app settings that override the build plan, through the real api on PGlite.
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const call = (method: "POST" | "PATCH" | "GET", url: string, payload?: unknown) =>
  h.app.inject({ method, url, headers: bearer(h.alice.token), ...(payload ? { payload } : {}) });

describe("app build settings", () => {
  it("are stored at creation, merged by PATCH (null clears) and shown", async () => {
    const created = await call("POST", "/api/apps", {
      ...sampleApp("tuned"),
      buildSettings: { startCommand: "node dist/server.js", dockerfilePath: "docker/Containerfile" },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().buildSettings).toEqual({
      startCommand: "node dist/server.js",
      dockerfilePath: "docker/Containerfile",
    });

    const patched = await call("PATCH", "/api/apps/tuned", {
      buildSettings: {
        dockerfilePath: null,
        installCommand: "npm ci --omit=dev",
        buildTarget: "runtime",
        healthCheckPath: "/healthz",
      },
    });
    expect(patched.statusCode).toBe(200);
    const expected = {
      startCommand: "node dist/server.js",
      installCommand: "npm ci --omit=dev",
      buildTarget: "runtime",
      healthCheckPath: "/healthz",
    };
    expect(patched.json().buildSettings).toEqual(expected);
    expect((await call("GET", "/api/apps/tuned")).json().buildSettings).toEqual(expected);
    // A PATCH without buildSettings keeps them.
    expect((await call("PATCH", "/api/apps/tuned", { port: 8080 })).json().buildSettings).toEqual(expected);
  });

  it("default to none", async () => {
    const created = await call("POST", "/api/apps", sampleApp("plain"));
    expect(created.json().buildSettings).toEqual({});
  });

  it("refuses multi-line commands, escaping paths, bad stage names and relative health paths", async () => {
    for (const buildSettings of [
      { startCommand: "node a.js\nRUN curl evil" },
      { dockerfilePath: "../Dockerfile" },
      { dockerfilePath: "/etc/passwd" },
      { buildTarget: "a b" },
      { healthCheckPath: "healthz" },
      { unknown: "x" },
    ]) {
      const res = await call("PATCH", "/api/apps/plain", { buildSettings });
      expect(res.statusCode, JSON.stringify(buildSettings)).toBe(400);
      expect(res.headers["content-type"]).toContain("application/problem+json");
    }
    expect((await call("GET", "/api/apps/plain")).json().buildSettings).toEqual({});
  });
});
