import { schema } from "@kli8nt/db";
import { desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, bearer, createAppVia, type Harness, startHarness } from "../test/harness.ts";

// Custom domain routes (ADR 0220) on the real api and an in-memory PGlite database.
let h: Harness;

const add = (hostname: string, token = h.alice.token, app = "shop") =>
  h.app.inject({
    method: "POST",
    url: `/api/apps/${app}/domains`,
    headers: bearer(token),
    payload: { hostname },
  });
const list = (token = h.alice.token, app = "shop") =>
  h.app.inject({ method: "GET", url: `/api/apps/${app}/domains`, headers: bearer(token) });

beforeAll(async () => {
  h = await startHarness({
    KLI8NT_APP_URL_TEMPLATE: "https://{app}.apps.example.net",
    KLI8NT_PUBLIC_URL: "https://kli8nt.example.net",
  });
  await createAppVia(h.app, h.alice.token, "shop");
  await createAppVia(h.app, h.bob.token, "blog");
  await createAppVia(h.app, ADMIN_TOKEN, "ops");
});
afterAll(async () => h?.close());

describe("custom domains", () => {
  it("attaches a hostname, normalised, pending with the CNAME to create", async () => {
    const res = await add(" WWW.Example.Test. ");
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      hostname: "www.example.test",
      status: "pending",
      wildcard: false,
      target: "shop.apps.example.net",
      certificate: null,
    });
    expect(res.json().detail).toContain("CNAME record www.example.test → shop.apps.example.net");
    const items = list().then((r) => r.json().items);
    expect(await items).toMatchObject([{ hostname: "www.example.test", status: "pending" }]);
  });

  it("tells an apex to use an A record, and stores unicode as punycode", async () => {
    expect((await add("example.org")).json().detail).toContain("A record");
    expect((await add("bücher.example")).json().hostname).toBe("xn--bcher-kva.example");
  });

  it("gives a hostname to one app across all users: 409 problem+json", async () => {
    const res = await add("www.example.test", h.bob.token, "blog");
    expect(res.statusCode).toBe(409);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ code: "DOMAIN_TAKEN" });
  });

  it("keeps wildcards for administrators", async () => {
    const res = await add("*.shop.example.test");
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: "DOMAIN_WILDCARD_ADMIN_ONLY" });
    const admin = await add("*.ops.example.test", ADMIN_TOKEN, "ops");
    expect(admin.statusCode).toBe(201);
    expect(admin.json()).toMatchObject({ hostname: "*.ops.example.test", wildcard: true });
  });

  it.each([
    "apps.example.net",
    "shop.apps.example.net",
    "x.y.apps.example.net",
    "*.apps.example.net",
    "kli8nt.example.net",
    "evil.kli8nt.example.net",
    "*.kli8nt.example.net",
    "localhost",
    "shop.localhost",
    "127.0.0.1",
    "[::1]",
  ])("refuses the platform's own host %s with 422", async (hostname) => {
    const res = await add(hostname, ADMIN_TOKEN, "ops");
    expect(res.statusCode).toBe(422);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ code: "DOMAIN_RESERVED" });
  });

  it.each([
    ["", ">=1 characters"],
    ["https://www.example.com/", "bare hostname"],
    ["www.example.com:8443", "bare hostname"],
    ["-bad.example.com", "label"],
    ["a..example.com", "empty label"],
    [`${"a".repeat(64)}.example.com`, "label"],
    [`${"abcdefghi.".repeat(26)}com`, "253"],
    ["example", "two labels"],
    ["foo.*.example.com", "wildcard"],
    ["under_score.example.com", "label"],
    ["1.2.3.999", "all digits"],
  ])("refuses %j with 400 saying %s", async (hostname, why) => {
    const res = await add(hostname);
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json().detail).toContain(why);
  });

  it("tells the controllers through the outbox (AppChanged domains) on add and delete, not on a refusal", async () => {
    const appChanged = async () =>
      (
        await h.database.db
          .select()
          .from(schema.outbox)
          .where(eq(schema.outbox.queue, "APP"))
          .orderBy(desc(schema.outbox.seq))
      ).map((r) => r.payload as { appName: string; what: string });
    const before = (await appChanged()).length;
    expect((await add("api.shop.example.test")).statusCode).toBe(201);
    expect((await appChanged())[0]).toMatchObject({ appName: "shop", what: "domains" });
    expect((await add("api.shop.example.test", h.bob.token, "blog")).statusCode).toBe(409);
    expect(await appChanged()).toHaveLength(before + 1);
    const del = await h.app.inject({
      method: "DELETE",
      url: "/api/apps/shop/domains/api.shop.example.test",
      headers: bearer(h.alice.token),
    });
    expect(del.statusCode).toBe(204);
    expect(await appChanged()).toHaveLength(before + 2);
  });

  it("hides other users' apps and deletes with 204, then 404", async () => {
    expect((await list(h.bob.token)).statusCode).toBe(404);
    const del = () =>
      h.app.inject({
        method: "DELETE",
        url: "/api/apps/shop/domains/WWW.example.test",
        headers: bearer(h.alice.token),
      });
    expect((await del()).statusCode).toBe(204);
    const again = await del();
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ code: "DOMAIN_NOT_FOUND" });
    expect((await add("www.example.test", h.bob.token, "blog")).statusCode).toBe(201);
  });
});
