import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createFileLogStore, type LogStore } from "@kli8nt/logstore";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createAppVia, type Harness, startHarness } from "./test/harness.ts";

/**
 * Every route in the OpenAPI document, fed random bytes, Unicode, NUL and overlong values in its path
 * parameters, query and body: no answer may be a 5xx, and every error must be problem+json. The real
 * api on a real (in-memory) database; requests go through inject, which runs the same Fastify pipeline.
 */
interface Operation {
  readonly method: string;
  readonly path: string;
  readonly query: readonly string[];
  readonly hasBody: boolean;
}

let h: Harness;
let logs: LogStore;
let dir: string;
let operations: Operation[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kli8nt-fuzz-"));
  logs = createFileLogStore({ dataDir: dir });
  h = await startHarness({}, { logs });
  await createAppVia(h.app, h.alice.token, "target");
  const doc = (await h.app.inject({ url: "/api/openapi.json" })).json<{
    paths: Record<
      string,
      Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown }>
    >;
  }>();
  operations = Object.entries(doc.paths).flatMap(([route, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: route,
      query: (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
      hasBody: op.requestBody !== undefined || ["post", "put", "patch"].includes(method),
    })),
  );
});
afterAll(async () => {
  await h?.close();
  await logs?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const percentBytes = fc
  .uint8Array({ minLength: 1, maxLength: 64 })
  .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, "0")}`).join(""));
const nasty = fc.oneof(
  fc.string({ unit: "binary" }).map(encodeURIComponent),
  fc.string({ unit: "grapheme" }).map(encodeURIComponent),
  fc.constantFrom(
    "%00",
    "a%00b",
    "%ff%fe",
    "%c0%af",
    "..%2f..%2fetc",
    "target",
    "%E2%80%AE",
    "0",
    "-1",
    "1e309",
  ),
  fc.integer({ min: 101, max: 6000 }).map((n) => "a".repeat(n)),
  percentBytes,
);
const body = fc.oneof(
  fc.anything().map((v) => JSON.stringify(v) ?? "null"),
  fc
    .string({ unit: "binary" })
    .map((s) => JSON.stringify({ name: s, repository: { url: s, branch: s }, vars: { [s]: s } })),
  fc.string({ unit: "binary" }),
  fc.constant(`{"name":"${"x".repeat(70_000)}"}`),
  fc.constant('{"name":"a\\u0000b","repository":{"url":"https://github.com/a/b","branch":"\\u0000"}}'),
);

const UPSTREAM_CODES = new Set(["REPOSITORY_UNREACHABLE", "GITHUB_UNREACHABLE", "GITHUB_UNAVAILABLE"]);

/** No 5xx (but a 503 for an unreachable upstream), and every error as problem+json. */
function expectNoCrash(
  res: { statusCode: number; headers: Record<string, unknown>; body: string; json<T>(): T },
  what: string,
) {
  // A 503 for an upstream this sandbox cannot reach (the app's repository on github.com) is the right
  // answer, not a crash; anything else 5xx is a bug.
  const upstream = res.statusCode === 503 && UPSTREAM_CODES.has(res.json<{ code?: string }>().code ?? "");
  if (!upstream) expect(res.statusCode, what).toBeLessThan(500);
  if (res.statusCode < 400) return;
  expect(String(res.headers["content-type"]), what).toContain("application/problem+json");
  expect(res.json(), what).toMatchObject({
    status: res.statusCode,
    code: expect.any(String),
    detail: expect.any(String),
  });
}

function urlFor(op: Operation, params: string[], query: [string, string][]): string {
  let i = 0;
  const filled = op.path.replace(/\{[^}]+\}/g, () => params[i++] ?? "x");
  const qs = query.map(([k, v]) => `${k}=${v}`).join("&");
  return qs ? `${filled}?${qs}` : filled;
}

describe("every route of the OpenAPI document under random input", () => {
  it("answers no 5xx, and every error as problem+json", { timeout: 120_000 }, async () => {
    expect(operations.length).toBeGreaterThan(10);
    for (const op of operations) {
      const paramCount = (op.path.match(/\{/g) ?? []).length;
      const queryKeys = fc.constantFrom(...op.query, "cursor", "limit", "x\u0000", "%00");
      await fc.assert(
        fc.asyncProperty(
          fc.array(nasty, { minLength: paramCount, maxLength: paramCount }),
          fc.array(fc.tuple(queryKeys, nasty), { maxLength: 4 }),
          body,
          fc.boolean(),
          async (params, query, payload, authenticated) => {
            const url = urlFor(op, params, query);
            const res = await h.app.inject({
              method: op.method as "GET",
              url,
              headers: {
                ...(authenticated ? bearer(h.alice.token) : {}),
                "content-type": "application/json",
              },
              ...(op.hasBody ? { payload } : {}),
            });
            expectNoCrash(
              res,
              `${op.method} ${url.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`,
            );
          },
        ),
        { numRuns: 120 },
      );
    }
  });
});
