import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, type Harness, sampleApp, startHarness } from "./test/harness.ts";

/**
 * Generated bad input against the app and deployment routes: every request must get a 4xx
 * application/problem+json with a useful detail, and change nothing (no app, no deployment, no message).
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.app.inject({
    method: "POST",
    url: "/api/apps",
    headers: bearer(h.alice.token),
    payload: sampleApp("target"),
  });
});
afterAll(async () => h?.close());

const invalidName = fc.oneof(
  fc.string().filter((s) => !/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(s)),
  fc.constantFrom("api", "www", "a--b", "-x", "x-", "X", "x".repeat(41)),
  fc.anything().filter((v) => typeof v !== "string" && v !== undefined),
);
const invalidUrl = fc.oneof(
  fc.constantFrom(
    "file:///etc",
    "/etc/passwd",
    "ssh://git@github.com/a/b",
    "https://u:p@github.com/a/b",
    "ftp://x/a/b",
  ),
  fc.string().filter((s) => !s.startsWith("http")),
  fc.anything().filter((v) => typeof v !== "string" && v !== undefined),
);
const invalidRootDir = fc.oneof(
  fc.constantFrom("..", "../x", "/abs", "a/../../b", "a\\b"),
  fc.string().map((s) => `../${s}`),
  fc.anything().filter((v) => typeof v !== "string" && v !== undefined),
);
const validBody = { name: "fresh", repository: { url: "https://github.com/acme/fresh", branch: "main" } };

const badAppBody = fc.oneof(
  invalidName.map((name) => ({ ...validBody, name })),
  invalidUrl.map((url) => ({ ...validBody, repository: { ...validBody.repository, url } })),
  invalidRootDir.map((rootDir) => ({ ...validBody, repository: { ...validBody.repository, rootDir } })),
  fc
    .oneof(fc.integer({ max: 0 }), fc.integer({ min: 65536 }), fc.string())
    .map((port) => ({ ...validBody, port })),
  fc
    .string({ minLength: 1 })
    .filter((k) => !(k in validBody))
    .map((k) => ({ ...validBody, [k]: 1 })),
  fc.anything().filter((v) => typeof v !== "object" || v === null || Array.isArray(v)),
);

const badRawJson = fc.string().filter((s) => {
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
});

interface Sent {
  readonly method: "POST" | "PATCH" | "PUT";
  readonly url: string;
  readonly payload: string;
  readonly headers?: Record<string, string>;
}

async function expectRejectedWithoutChange(sent: Sent, token: string): Promise<void> {
  const before = await snapshot();
  const res = await h.app.inject({
    method: sent.method,
    url: sent.url,
    payload: sent.payload,
    headers: { "content-type": "application/json", ...bearer(token), ...sent.headers },
  });
  expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body).toBeLessThan(500);
  expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
  const problem = res.json();
  expect(problem.status).toBe(res.statusCode);
  expect(problem.detail.length).toBeGreaterThan(5);
  expect(res.body).not.toMatch(/\bat .+\.ts:\d+/); // no stack trace
  expect(await snapshot()).toEqual(before);
}

async function snapshot() {
  const apps = await h.app.inject({ url: "/api/apps?limit=200", headers: bearer(h.alice.token) });
  const app = await h.app.inject({ url: "/api/apps/target", headers: bearer(h.alice.token) });
  return { apps: apps.body, target: app.body, unpublished: await h.unpublished() };
}

// Hundreds of generated requests: generous on a loaded 2-core CI machine.
describe("bad input changes nothing and gets a 4xx problem", { timeout: 180_000 }, () => {
  it("POST /api/apps with generated invalid bodies", async () => {
    await fc.assert(
      fc.asyncProperty(badAppBody, async (body) => {
        await expectRejectedWithoutChange(
          { method: "POST", url: "/api/apps", payload: JSON.stringify(body) },
          h.alice.token,
        );
      }),
      { numRuns: 150 },
    );
  });

  it("PATCH /api/apps/:name with generated invalid bodies", async () => {
    const badPatch = fc.oneof(
      invalidUrl.map((url) => ({ repository: { url } })),
      invalidRootDir.map((rootDir) => ({ repository: { rootDir } })),
      fc.constantFrom({ name: "rename" }, { port: 0 }, { port: "80" }, { repository: { branch: "a..b" } }),
    );
    await fc.assert(
      fc.asyncProperty(badPatch, async (body) => {
        await expectRejectedWithoutChange(
          { method: "PATCH", url: "/api/apps/target", payload: JSON.stringify(body) },
          h.alice.token,
        );
      }),
      { numRuns: 60 },
    );
  });

  it("malformed JSON on every write route", async () => {
    const route = fc.constantFrom<Sent["method"]>("POST", "PATCH", "PUT");
    await fc.assert(
      fc.asyncProperty(route, badRawJson, async (method, payload) => {
        const url =
          method === "POST"
            ? "/api/apps/target/deployments"
            : method === "PATCH"
              ? "/api/apps/target"
              : "/api/apps/target/env";
        await expectRejectedWithoutChange({ method, url, payload }, h.alice.token);
      }),
      { numRuns: 60 },
    );
  });

  it("POST deployments with invalid refs or unknown fields", async () => {
    const badRef = fc.oneof(
      fc.constantFrom("a..b", "-x", "x.lock", "a b", "", "a@{1}"),
      fc.anything().filter((v) => typeof v !== "string" && v !== undefined),
    );
    const body = fc.oneof(
      badRef.map((ref) => ({ ref })),
      fc.constant({ commit: "abc" }),
      fc.constant([1]),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        await expectRejectedWithoutChange(
          { method: "POST", url: "/api/apps/target/deployments", payload: JSON.stringify(b) },
          h.alice.token,
        );
      }),
      { numRuns: 60 },
    );
  });

  it("PUT env with invalid keys, duplicates or reserved names", async () => {
    const badVars = fc.oneof(
      fc
        .string()
        .filter((k) => !/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(k))
        .map((key) => [{ key, value: "v" }]),
      fc.constant([{ key: "PORT", value: "1" }]),
      fc.constant([
        { key: "A", value: "1" },
        { key: "A", value: "2" },
      ]),
      fc.constant([{ key: "NEW_SECRET", value: null, secret: true }]),
      fc.constant([{ key: "A", value: "x".repeat(40_000) }]),
    );
    await fc.assert(
      fc.asyncProperty(badVars, async (vars) => {
        await expectRejectedWithoutChange(
          { method: "PUT", url: "/api/apps/target/env", payload: JSON.stringify({ vars }) },
          h.alice.token,
        );
      }),
      { numRuns: 40 },
    );
  });

  it("wrong, missing or another user's credentials", async () => {
    const token = fc.oneof(
      fc.string({ minLength: 1 }).filter((s) => /^\S+$/.test(s)),
      fc.constant(h.bob.token),
    );
    await fc.assert(
      fc.asyncProperty(token, fc.constantFrom("POST", "PATCH"), async (t, method) => {
        const url = method === "POST" ? "/api/apps/target/deployments" : "/api/apps/target";
        await expectRejectedWithoutChange(
          { method: method as "POST" | "PATCH", url, payload: JSON.stringify({}) },
          t,
        );
      }),
      { numRuns: 40 },
    );
  });

  it("a body over the limit, a wrong media type, and local repositories without the opt-in", async () => {
    const cases: Sent[] = [
      {
        method: "POST",
        url: "/api/apps",
        payload: JSON.stringify({ ...validBody, pad: "x".repeat(70_000) }),
      },
      {
        method: "POST",
        url: "/api/apps",
        payload: "name=x",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
      { method: "POST", url: "/api/apps", payload: "hello", headers: { "content-type": "text/plain" } },
      {
        method: "POST",
        url: "/api/apps",
        payload: JSON.stringify({ ...validBody, repository: { url: "file:///srv/repo" } }),
      },
    ];
    for (const sent of cases) await expectRejectedWithoutChange(sent, h.alice.token);
  });
});

describe("local repositories with the single-machine opt-in", () => {
  it("accepts a local path only when KLI8NT_ALLOW_LOCAL_REPOS=true", async () => {
    const local = await startHarness({ KLI8NT_ALLOW_LOCAL_REPOS: "true" });
    try {
      const res = await local.app.inject({
        method: "POST",
        url: "/api/apps",
        headers: bearer(local.alice.token),
        payload: { name: "local", repository: { url: "/srv/repos/local", branch: "main" } },
      });
      expect(res.statusCode).toBe(201);
    } finally {
      await local.close();
    }
  });
});
