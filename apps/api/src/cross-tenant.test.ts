import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createFileLogStore, type LogStore } from "@kli8nt/logstore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createAppVia, deployVia, type Harness, startHarness } from "./test/harness.ts";

/**
 * Every route of the OpenAPI document, called by another user with the real names and ids of alice's
 * app, deployment, cron job, notification destinations, domain and token: the answer must be exactly the
 * answer for a name or id that does not exist (same status and code), so nothing says that alice's things
 * exist, and nothing of hers is ever in it. Admin-only routes are a 403 for everyone who is not an admin.
 */
let h: Harness;
let logs: LogStore;
let dir: string;
const real: Record<string, string> = {};
const missing: Record<string, string> = {
  name: "no-such-app",
  id: "dep_00000000000000000000000000000000",
  cronName: "no-such-job",
  hostname: "no-such.example.com",
  number: "9999",
  backup: "bak_00000000000000000000000000000000",
  login: "no-such-user",
  owner: "no-such-owner",
  repo: "no-such-repo",
  token: "no-such-link",
};

type Doc = { paths: Record<string, Record<string, unknown>> };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kli8nt-tenants-"));
  logs = createFileLogStore({ dataDir: dir });
  h = await startHarness({}, { logs });
  await createAppVia(h.app, h.alice.token, "alices-shop");
  real.name = "alices-shop";
  real.id = await deployVia(h.app, h.alice.token, "alices-shop");
  const as = (method: "POST" | "PUT", url: string, payload: object) =>
    h.app.inject({ method, url, headers: bearer(h.alice.token), payload });
  const put = await as("PUT", "/api/apps/alices-shop/env", {
    vars: [{ key: "ALICE_SECRET", value: "alice-secret-value-123", secret: true }],
  });
  expect(put.statusCode).toBe(200);
  const cron = await as("POST", "/api/apps/alices-shop/cron", {
    name: "nightly",
    schedule: "0 3 * * *",
    command: "echo hi",
  });
  expect(cron.statusCode).toBe(201);
  real.cronName = "nightly";
  const domain = await as("POST", "/api/apps/alices-shop/domains", { hostname: "shop.alice.example" });
  expect(domain.statusCode).toBe(201);
  real.hostname = "shop.alice.example";
  const hook = await as("POST", "/api/apps/alices-shop/notifications", {
    type: "email",
    to: "alice@example.test",
  });
  expect(hook.statusCode).toBe(201);
  real.appNotification = hook.json<{ id: string }>().id;
  const global = await as("POST", "/api/notifications", { type: "email", to: "alice@example.test" });
  expect(global.statusCode).toBe(201);
  real.globalNotification = global.json<{ id: string }>().id;
  const token = await as("POST", "/api/tokens", { name: "alices ci" });
  expect(token.statusCode).toBe(201);
  real.tokenId = token.json<{ id: string }>().id;
});
afterAll(async () => {
  await h?.close();
  await logs?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The path with its parameters filled from `values`; the {id} of each route is the id that route takes. */
function fill(route: string, values: Record<string, string>): string {
  const id = route.startsWith("/api/tokens")
    ? values.tokenId
    : route.startsWith("/api/apps/{name}/notifications")
      ? values.appNotification
      : route.startsWith("/api/notifications")
        ? values.globalNotification
        : route.includes("/addons/")
          ? "addon_00000000000000000000000000000000"
          : values.id;
  return route.replaceAll(/\{(\w+)\}/g, (_, key: string) =>
    encodeURIComponent((key === "id" ? id : values[key]) ?? missing[key] ?? "x"),
  );
}

const withMissing = () => ({
  ...missing,
  tokenId: "tok_00000000000000000000000000000000",
  appNotification: "ntf_00000000000000000000000000000000",
  globalNotification: "ntf_00000000000000000000000000000000",
});

// Routes that are not about alice's things (sign-in, bob's own lists, public webhooks): not compared.
const NOT_HERS = /^\/(healthz|readyz|auth\/|api\/(me|auth\/logout|github\/|openapi))/;

describe("another user's names and ids", () => {
  it("get the same answer as names and ids that do not exist, on every route, and nothing of hers", async () => {
    const doc = (await h.app.inject({ url: "/api/openapi.json" })).json<Doc>();
    const checked: string[] = [];
    for (const [route, ops] of Object.entries(doc.paths)) {
      if (NOT_HERS.test(route) || !route.includes("{")) continue;
      for (const method of Object.keys(ops)) {
        const send = (url: string) =>
          h.app.inject({
            method: method.toUpperCase() as "GET",
            url,
            headers: bearer(h.bob.token),
            ...(["post", "put", "patch"].includes(method) ? { payload: {} } : {}),
          });
        const hers = await send(fill(route, real));
        const none = await send(fill(route, withMissing()));
        const label = `${method.toUpperCase()} ${route}`;
        checked.push(label);
        expect(hers.statusCode, label).toBeGreaterThanOrEqual(400);
        expect(hers.headers["content-type"], label).toContain("application/problem+json");
        expect({ status: hers.statusCode, code: hers.json().code }, label).toEqual({
          status: none.statusCode,
          code: none.json().code,
        });
        if (route.startsWith("/api/admin")) expect(hers.statusCode, label).toBe(403);
        else expect([400, 404], label).toContain(hers.statusCode);
        // The ids bob sent may be echoed back (detail, instance); nothing else of hers may be.
        for (const secret of ["alice-secret-value-123", "alice@example.test", "echo hi"]) {
          expect(hers.body, label).not.toContain(secret);
        }
      }
    }
    expect(checked.length).toBeGreaterThan(40);
  });

  it("do not show up in bob's own lists", async () => {
    for (const url of ["/api/apps", "/api/tokens", "/api/notifications", "/api/metrics/summary"]) {
      const res = await h.app.inject({ url, headers: bearer(h.bob.token) });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).not.toContain("alices-shop");
      expect(res.body, url).not.toContain(real.tokenId);
      expect(res.body, url).not.toContain("alice@example.test");
    }
  });
});
