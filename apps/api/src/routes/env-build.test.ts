import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createAppVia, type Harness, startHarness } from "../test/harness.ts";

// Build-time variables (ADR 0157): `build: true` is stored and shown; a kept secret keeps its value and
// takes the new flag.
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const put = (vars: unknown) =>
  h.app.inject({
    method: "PUT",
    url: "/api/apps/vars/env",
    headers: bearer(h.alice.token),
    payload: { vars },
  });

describe("build-time variables", () => {
  it("stores, shows and resolves the build flag, for plain values and kept secrets", async () => {
    await createAppVia(h.app, h.alice.token, "vars");
    const first = await put([
      { key: "NODE_ENV", value: "production", build: true },
      { key: "NPM_TOKEN", value: "npm_secret", secret: true, build: true },
      { key: "RUNTIME_ONLY", value: "x" },
    ]);
    expect(first.statusCode).toBe(200);
    expect(first.json().vars).toEqual([
      { key: "NODE_ENV", value: "production", secret: false, build: true, preview: true },
      { key: "NPM_TOKEN", value: null, secret: true, build: true, preview: true },
      { key: "RUNTIME_ONLY", value: "x", secret: false, build: false, preview: true },
    ]);
    const kept = await put([{ key: "NPM_TOKEN", value: null, secret: true, build: false }]);
    expect(kept.json().vars).toEqual([
      { key: "NPM_TOKEN", value: null, secret: true, build: false, preview: true },
    ]);
  });
});
