import { createSignInLink } from "@kli8nt/db";
import { afterAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../test/harness.ts";

const opened: Harness[] = [];
afterAll(async () => {
  for (const h of opened) await h.close();
});

async function signIn(publicUrl: string) {
  const h = await startHarness({ KLI8NT_PUBLIC_URL: publicUrl });
  opened.push(h);
  const token = await createSignInLink(h.database.db, h.alice.user.id, 60_000);
  const res = await h.app.inject({ url: `/auth/link/${token}`, headers: { accept: "text/html" } });
  expect(res.statusCode).toBe(302);
  const setCookie = String(res.headers["set-cookie"]);
  const me = (cookie: string) => h.app.inject({ url: "/api/me", headers: { cookie } });
  return { h, setCookie, value: /=([^;]+)/.exec(setCookie)?.[1] ?? "", me };
}

describe("the session cookie", () => {
  it("is __Host- prefixed behind https: Secure, Path=/, no Domain, so a sibling subdomain cannot set it", async () => {
    const { setCookie, value, me } = await signIn("https://dash.example.test");
    expect(setCookie).toMatch(
      /^__Host-kli8nt_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(setCookie).not.toMatch(/Domain=/i);
    expect((await me(`__Host-kli8nt_session=${value}`)).json()).toMatchObject({ login: "alice" });
    // The unprefixed name is what a tenant page on a sibling subdomain could plant: it is not read.
    const planted = await me(`kli8nt_session=${value}`);
    expect(planted.statusCode).toBe(401);
    expect(planted.headers["content-type"]).toContain("application/problem+json");
  });

  it("keeps the plain name over http, where browsers refuse __Host- cookies", async () => {
    const { setCookie, value, me } = await signIn("http://127.0.0.1:8080");
    expect(setCookie).toMatch(/^kli8nt_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    expect((await me(`kli8nt_session=${value}`)).json()).toMatchObject({ login: "alice" });
    expect((await me(`__Host-kli8nt_session=${value}`)).statusCode).toBe(401);
  });
});
