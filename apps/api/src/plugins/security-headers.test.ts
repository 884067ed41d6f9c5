import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, type Harness, startHarness } from "../test/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

function expectSecurityHeaders(headers: Record<string, unknown>, what: string) {
  const csp = String(headers["content-security-policy"]);
  expect(csp, what).toContain("default-src 'self'");
  expect(csp, what).toContain("script-src 'self'");
  expect(csp, what).toContain("style-src 'self'");
  expect(csp, what).toContain("frame-ancestors 'none'");
  expect(csp, what).toContain("object-src 'none'");
  expect(csp, what).not.toMatch(/unsafe-inline|unsafe-eval/);
  expect(headers["x-content-type-options"], what).toBe("nosniff");
  expect(headers["x-frame-options"], what).toBe("DENY");
  expect(headers["referrer-policy"], what).toBe("same-origin");
}

describe("security headers", () => {
  it("come with API answers, errors included, and with the UI's pages", async () => {
    const requests = [
      { url: "/api/me", headers: bearer(h.alice.token) },
      { url: "/api/me" },
      { url: "/api/nothing-here" },
      { url: "/api/openapi.json" },
      {
        method: "POST" as const,
        url: "/api/apps",
        headers: { ...bearer(h.alice.token), "content-type": "text/plain" },
        payload: "x",
      },
      { url: "/apps/shop", headers: { accept: "text/html" } },
      { url: "/healthz" },
    ];
    for (const request of requests) {
      const res = await h.app.inject(request);
      expectSecurityHeaders(res.headers, `${request.method ?? "GET"} ${request.url} (${res.statusCode})`);
    }
  });

  it("sends HSTS only when the public URL is https", async () => {
    expect((await h.app.inject({ url: "/healthz" })).headers["strict-transport-security"]).toBeUndefined();
    const secure = await startHarness({ KLI8NT_PUBLIC_URL: "https://dash.example.test" });
    try {
      const res = await secure.app.inject({ url: "/healthz" });
      expect(res.headers["strict-transport-security"]).toMatch(/max-age=31536000/);
    } finally {
      await secure.close();
    }
  });
});
