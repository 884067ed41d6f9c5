import { createApiToken, createSession, createUser, schema } from "@kli8nt/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, type Harness, startHarness } from "../test/harness.ts";
import { MAX_TOKENS_PER_USER } from "./tokens.ts";

const PUBLIC_URL = "http://kli8nt.test";
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ KLI8NT_PUBLIC_URL: PUBLIC_URL });
});
afterAll(async () => h?.close());

interface Created {
  id: string;
  name: string;
  token: string;
  createdAt: string;
  expiresAt: string | null;
}

const create = (token: string, payload: Record<string, unknown>) =>
  h.app.inject({ method: "POST", url: "/api/tokens", headers: bearer(token), payload });
const list = (token: string) => h.app.inject({ method: "GET", url: "/api/tokens", headers: bearer(token) });
const whoCanList = async (token: string) => (await list(token)).statusCode;

describe("API tokens", () => {
  it("creates a token shown once, which then authenticates; the list never holds the value", async () => {
    const res = await create(h.alice.token, { name: "ci", expiresInDays: 90 });
    expect(res.statusCode).toBe(201);
    expect(res.headers["cache-control"]).toBe("no-store");
    const created = res.json<Created>();
    expect(created.name).toBe("ci");
    expect(created.token).toMatch(/^k8t_/);
    const days = (Date.parse(created.expiresAt ?? "") - Date.parse(created.createdAt)) / 86_400_000;
    expect(days).toBeCloseTo(90, 1);

    const listed = await list(created.token);
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(created.token);
    expect(listed.body).not.toContain("tokenHash");
    const item = listed.json<{ items: Record<string, unknown>[] }>().items.find((t) => t.id === created.id);
    expect(Object.keys(item ?? {}).sort()).toEqual(["createdAt", "expiresAt", "id", "lastUsedAt", "name"]);
    // The request just made with it was recorded as its last use.
    expect(item?.lastUsedAt).not.toBeNull();
    // Within the minute, further uses do not write again.
    await list(created.token);
    const again = (await list(created.token)).json<{ items: { id: string; lastUsedAt: string }[] }>();
    expect(again.items.find((t) => t.id === created.id)?.lastUsedAt).toBe(item?.lastUsedAt);
  });

  it("revokes: the token answers 401 problem+json afterwards, and a second revoke is a 404", async () => {
    const { id, token } = (await create(h.alice.token, { name: "short-lived" })).json<Created>();
    expect(await whoCanList(token)).toBe(200);
    const del = await h.app.inject({
      method: "DELETE",
      url: `/api/tokens/${id}`,
      headers: bearer(h.alice.token),
    });
    expect(del.statusCode).toBe(204);
    const after = await list(token);
    expect(after.statusCode).toBe(401);
    expect(after.headers["content-type"]).toContain("application/problem+json");
    expect(after.json<{ code: string }>().code).toBe("TOKEN_INVALID");
    const again = await h.app.inject({
      method: "DELETE",
      url: `/api/tokens/${id}`,
      headers: bearer(h.alice.token),
    });
    expect(again.statusCode).toBe(404);
  });

  it("refuses an expired token with 401, and null asks for one that never expires", async () => {
    const { id, token } = (
      await create(h.alice.token, { name: "expiring", expiresInDays: 1 })
    ).json<Created>();
    expect(await whoCanList(token)).toBe(200);
    await h.database.db
      .update(schema.apiTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.apiTokens.id, id));
    expect(await whoCanList(token)).toBe(401);
    const forever = (await create(h.alice.token, { name: "forever", expiresInDays: null })).json<Created>();
    expect(forever.expiresAt).toBeNull();
  });

  it("keeps users apart: bob neither sees nor revokes alice's tokens", async () => {
    const { id, token } = (await create(h.alice.token, { name: "alice-only" })).json<Created>();
    const bobs = await list(h.bob.token);
    expect(bobs.json<{ items: { id: string }[] }>().items.map((t) => t.id)).not.toContain(id);
    const del = await h.app.inject({
      method: "DELETE",
      url: `/api/tokens/${id}`,
      headers: bearer(h.bob.token),
    });
    expect(del.statusCode).toBe(404);
    expect(del.headers["content-type"]).toContain("application/problem+json");
    expect(await whoCanList(token)).toBe(200);
  });

  it.each([
    [{ name: "" }],
    [{ name: "x".repeat(65) }],
    [{ name: "bell\u0007" }],
    [{ name: "ci", expiresInDays: 0 }],
    [{ name: "ci", expiresInDays: 367 }],
    [{ name: "ci", expiresInDays: 1.5 }],
  ])("refuses %j with 400", async (payload) => {
    const res = await create(h.bob.token, payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toContain("application/problem+json");
  });

  it("caps the live tokens a user holds", async () => {
    const user = await createUser(h.database.db, { login: "carol" });
    const first = await createApiToken(h.database.db, user.id, "seed");
    for (let i = 1; i < MAX_TOKENS_PER_USER; i++) {
      expect((await create(first.token, { name: `t${i}` })).statusCode).toBe(201);
    }
    const over = await create(first.token, { name: "one too many" });
    expect(over.statusCode).toBe(409);
    expect(over.json<{ code: string }>().code).toBe("TOKEN_LIMIT");
  });

  it("a cookie-authenticated create goes through the Origin check", async () => {
    const session = await createSession(h.database.db, h.alice.user.id, 60_000);
    const send = (headers: Record<string, string>) =>
      h.app.inject({
        method: "POST",
        url: "/api/tokens",
        headers: { cookie: `kli8nt_session=${session}`, ...headers },
        payload: { name: "from the browser" },
      });
    expect((await send({ origin: "https://evil.example" })).statusCode).toBe(403);
    expect((await send({ origin: PUBLIC_URL })).statusCode).toBe(201);
  });
});
