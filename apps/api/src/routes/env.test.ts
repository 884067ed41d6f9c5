import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, type Harness, sampleApp, startHarness } from "../test/harness.ts";

// Names that configure the dynamic loader, the container tools or the platform are refused with a reason
// (ADR 0135); PATH and friends are the app's own business.
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.app.inject({
    method: "POST",
    url: "/api/apps",
    headers: bearer(h.alice.token),
    payload: sampleApp("hostile"),
  });
});
afterAll(async () => h?.close());

const put = (vars: { key: string; value: string }[]) =>
  h.app.inject({
    method: "PUT",
    url: "/api/apps/hostile/env",
    headers: bearer(h.alice.token),
    payload: { vars },
  });

describe("PUT /api/apps/:name/env names", () => {
  it.each([
    ["LD_PRELOAD", "dynamic loader"],
    ["LD_LIBRARY_PATH", "dynamic loader"],
    ["GLIBC_TUNABLES", "loader"],
    ["CONTAINERS_CONF", "podman and buildah"],
    ["CONTAINER_HOST", "podman and buildah"],
    ["PODMAN_USERNS", "podman"],
    ["BUILDAH_ISOLATION", "buildah"],
    ["DOCKER_HOST", "container clients"],
    ["REGISTRY_AUTH_FILE", "credentials"],
    ["KLI8NT_SECRET_KEY", "reserved"],
  ])("refuses %s with a problem+json that says why", async (key, why) => {
    const res = await put([{ key, value: "/tmp/x" }]);
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const problem = res.json() as { detail: string; code: string };
    expect(problem.detail).toContain(key);
    expect(problem.detail).toContain(why);
    const stored = await h.app.inject({ url: "/api/apps/hostile/env", headers: bearer(h.alice.token) });
    expect(JSON.stringify(stored.json())).not.toContain(key);
  });

  it("allows PATH, HOME and NODE_OPTIONS: they affect only the app", async () => {
    const res = await put([
      { key: "PATH", value: "/nonexistent" },
      { key: "HOME", value: "/app" },
      { key: "NODE_OPTIONS", value: "--max-old-space-size=256" },
    ]);
    expect(res.statusCode).toBe(200);
  });
});
