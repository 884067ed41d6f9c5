import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, bearer, type Harness, sampleApp, startHarness } from "./test/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

describe("health and OpenAPI", () => {
  it("answers /healthz and /readyz without auth", async () => {
    expect((await h.app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await h.app.inject({ url: "/readyz" })).json()).toEqual({ status: "ready" });
  });

  it("serves an OpenAPI 3.1 document generated from the route schemas", async () => {
    const doc = (await h.app.inject({ url: "/api/openapi.json" })).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/apps",
        "/api/apps/{name}",
        "/api/apps/{name}/env",
        "/api/deployments/{id}",
      ]),
    );
    expect(doc.paths["/api/apps"].post.requestBody.content["application/json"].schema.required).toContain(
      "name",
    );
  });
});

describe("apps", () => {
  it("creates, lists, reads, patches and deletes an app", async () => {
    const created = await h.app.inject({
      method: "POST",
      url: "/api/apps",
      headers: bearer(h.alice.token),
      payload: sampleApp("shop"),
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe("/api/apps/shop");
    expect(created.json()).toMatchObject({
      name: "shop",
      url: "http://shop.localhost:8000",
      repository: { rootDir: "." },
    });

    const list = await h.app.inject({ url: "/api/apps", headers: bearer(h.alice.token) });
    expect(list.json().items.map((a: { name: string }) => a.name)).toEqual(["shop"]);

    const patched = await h.app.inject({
      method: "PATCH",
      url: "/api/apps/shop",
      headers: bearer(h.alice.token),
      payload: { port: 3000, repository: { branch: "release" } },
    });
    expect(patched.json()).toMatchObject({
      port: 3000,
      repository: { branch: "release", url: "https://github.com/acme/shop" },
    });

    const deleted = await h.app.inject({
      method: "DELETE",
      url: "/api/apps/shop",
      headers: bearer(h.alice.token),
    });
    expect(deleted.statusCode).toBe(204);
    expect((await h.app.inject({ url: "/api/apps/shop", headers: bearer(h.alice.token) })).statusCode).toBe(
      404,
    );
  });

  it("answers 409 for a taken name, even another user's", async () => {
    await h.app.inject({
      method: "POST",
      url: "/api/apps",
      headers: bearer(h.alice.token),
      payload: sampleApp("taken"),
    });
    const again = await h.app.inject({
      method: "POST",
      url: "/api/apps",
      headers: bearer(h.bob.token),
      payload: sampleApp("taken"),
    });
    expect(again.statusCode).toBe(409);
    expect(again.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(again.json()).toMatchObject({
      code: "APP_NAME_TAKEN",
      status: 409,
      detail: expect.stringContaining("taken"),
    });
  });

  it("hides one user's apps and deployments from another (404, not 403)", async () => {
    await h.app.inject({
      method: "POST",
      url: "/api/apps",
      headers: bearer(h.alice.token),
      payload: sampleApp("private"),
    });
    const dep = await h.app.inject({
      method: "POST",
      url: "/api/apps/private/deployments",
      headers: bearer(h.alice.token),
      payload: {},
    });
    for (const [method, url] of [
      ["GET", "/api/apps/private"],
      ["PATCH", "/api/apps/private"],
      ["DELETE", "/api/apps/private"],
      ["GET", "/api/apps/private/env"],
      ["POST", "/api/apps/private/deployments"],
      ["GET", `/api/deployments/${dep.json().id}`],
    ] as const) {
      const res = await h.app.inject({
        method,
        url,
        headers: bearer(h.bob.token),
        ...(method === "PATCH" || method === "POST" ? { payload: {} } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await h.app.inject({ url: "/api/apps", headers: bearer(h.bob.token) })).json().items).toEqual([]);
  });

  it("pages the app list by name", async () => {
    for (const name of ["page-a", "page-b", "page-c"]) {
      await h.app.inject({
        method: "POST",
        url: "/api/apps",
        headers: bearer(h.bob.token),
        payload: sampleApp(name),
      });
    }
    const first = (await h.app.inject({ url: "/api/apps?limit=2", headers: bearer(h.bob.token) })).json();
    expect(first.items.map((a: { name: string }) => a.name)).toEqual(["page-a", "page-b"]);
    const next = (
      await h.app.inject({
        url: `/api/apps?limit=2&cursor=${first.nextCursor}`,
        headers: bearer(h.bob.token),
      })
    ).json();
    expect(next).toMatchObject({ items: [{ name: "page-c" }], nextCursor: null });
  });
});

describe("env vars", () => {
  it("keeps secret values write-only", async () => {
    await h.app.inject({
      method: "POST",
      url: "/api/apps",
      headers: bearer(h.alice.token),
      payload: sampleApp("envy"),
    });
    const put = await h.app.inject({
      method: "PUT",
      url: "/api/apps/envy/env",
      headers: bearer(h.alice.token),
      payload: {
        vars: [
          { key: "STRIPE_KEY", value: "sk_live_123", secret: true },
          { key: "MODE", value: "prod" },
        ],
      },
    });
    expect(put.statusCode).toBe(200);
    expect(put.body).not.toContain("sk_live_123");
    expect(put.json().vars).toEqual([
      { key: "MODE", value: "prod", secret: false, build: false, preview: true },
      { key: "STRIPE_KEY", value: null, secret: true, build: false, preview: true },
    ]);
    const get = await h.app.inject({ url: "/api/apps/envy/env", headers: bearer(h.alice.token) });
    expect(get.body).not.toContain("sk_live_123");
  });
});

describe("deployments", () => {
  it("queues a deployment (202) and writes its BUILD message in the same transaction", async () => {
    await h.app.inject({
      method: "POST",
      url: "/api/apps",
      headers: bearer(h.alice.token),
      payload: sampleApp("deployme"),
    });
    const before = await h.unpublished();
    const res = await h.app.inject({
      method: "POST",
      url: "/api/apps/deployme/deployments",
      headers: bearer(h.alice.token),
      payload: { ref: "main" },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ state: "queued", number: 1, ref: "main", trigger: "api" });
    expect(await h.unpublished()).toBe(before + 1);
    const one = await h.app.inject({
      url: `/api/deployments/${res.json().id}`,
      headers: bearer(h.alice.token),
    });
    expect(one.json().id).toBe(res.json().id);
    const list = await h.app.inject({
      url: "/api/apps/deployme/deployments",
      headers: bearer(h.alice.token),
    });
    expect(list.json()).toMatchObject({ items: [{ number: 1 }], nextBefore: null });
    const app = await h.app.inject({ url: "/api/apps/deployme", headers: bearer(h.alice.token) });
    expect(app.json().latestDeployment).toMatchObject({ number: 1, state: "queued" });
  });

  it("accepts a POST without a body", async () => {
    const res = await h.app.inject({
      method: "POST",
      url: "/api/apps/deployme/deployments",
      headers: bearer(h.alice.token),
    });
    expect(res.statusCode, res.body).toBe(202);
  });
});

describe("authentication", () => {
  it.each([
    [{}, "UNAUTHENTICATED"],
    [{ authorization: "Bearer nope" }, "TOKEN_INVALID"],
    [{ authorization: "Basic abc" }, "TOKEN_MALFORMED"],
    [{ cookie: "kli8nt_session=forged" }, "SESSION_EXPIRED"],
  ])("answers 401 problem+json for %j", async (headers, code) => {
    const res = await h.app.inject({ url: "/api/apps", headers });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code, status: 401 });
  });

  it("accepts KLI8NT_ADMIN_TOKEN as the local administrator", async () => {
    const me = await h.app.inject({ url: "/api/me", headers: bearer(ADMIN_TOKEN) });
    expect(me.json()).toMatchObject({ login: "admin", isAdmin: true });
  });
});

describe("one-time sign-in links", () => {
  it("sign a browser in once, then send it to the sign-in page with the reason", async () => {
    const { createSignInLink } = await import("@kli8nt/db");
    const token = await createSignInLink(h.database.db, h.alice.user.id, 60_000);
    const first = await h.app.inject({ url: `/auth/link/${token}`, headers: { accept: "text/html" } });
    expect(first.statusCode).toBe(302);
    expect(first.headers.location).toBe("/");
    const cookie = String(first.headers["set-cookie"]);
    expect(cookie).toMatch(/kli8nt_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax/);
    const me = await h.app.inject({ url: "/api/me", headers: { cookie: cookie.split(";")[0] ?? "" } });
    expect(me.json().login).toBe("alice");
    const again = await h.app.inject({ url: `/auth/link/${token}`, headers: { accept: "text/html" } });
    expect(again.statusCode).toBe(302);
    expect(again.headers.location).toMatch(/^\/sign-in\?error=SIGN_IN_LINK_INVALID&detail=/);
    const script = await h.app.inject({ url: `/auth/link/${token}` });
    expect(script.json()).toMatchObject({ status: 401, code: "SIGN_IN_LINK_INVALID" });
  });
});
