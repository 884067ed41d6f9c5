import { createSignInLink, ensureAdminUser, getGitHubAccount, IN_MEMORY, schema } from "@kli8nt/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness } from "../test/harness.ts";
import { cookieFrom, type GitHubTestEnv, startGitHubTestEnv } from "./test-env.ts";
import { accessContext } from "./user-github.ts";

let env: GitHubTestEnv;
beforeAll(async () => {
  env = await startGitHubTestEnv();
  env.gh.addUser({ login: "octo", name: "Octo Cat" });
  env.gh.addUser({ login: "mallory" });
});
afterAll(async () => env?.close());

/** Starts a sign-in like a browser: the redirect to GitHub and the pre-session cookie. */
async function startSignIn() {
  const res = await fetch(`${env.url}/auth/github`, { redirect: "manual" });
  return {
    res,
    binding: cookieFrom(res, "kli8nt_github_signin") ?? "",
    to: new URL(res.headers.get("location") ?? ""),
  };
}

const callback = (url: URL, binding: string | null, accept = "application/json") =>
  fetch(url, {
    redirect: "manual",
    headers: { accept, ...(binding === null ? {} : { cookie: `kli8nt_github_signin=${binding}` }) },
  });

describe("GitHub sign-in (OAuth web flow with state and PKCE)", () => {
  it("asks GitHub for the repo scope with a 256-bit state and an S256 challenge, in a short-lived cookie", async () => {
    const { res, binding, to } = await startSignIn();
    expect(res.status).toBe(302);
    expect(to.origin + to.pathname).toBe(`${env.gh.url}/login/oauth/authorize`);
    expect(to.searchParams.get("scope")).toBe("repo");
    expect(to.searchParams.get("code_challenge_method")).toBe("S256");
    expect(to.searchParams.get("state")?.length).toBeGreaterThanOrEqual(43);
    expect(to.searchParams.get("redirect_uri")).toBe(`${env.url}/auth/github/callback`);
    expect(binding.length).toBeGreaterThanOrEqual(43);
    const cookie = res.headers.getSetCookie().join("\n");
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Max-Age=600/);
    expect(cookie).toMatch(/SameSite=Lax/);
  });

  it("answers the UI's HEAD probe without starting a sign-in", async () => {
    const res = await fetch(`${env.url}/auth/github`, { method: "HEAD", redirect: "manual" });
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("signs in through the whole flow, creates the user, and keeps the token encrypted at rest", async () => {
    const { session, userId } = await env.signIn("octo");
    const me = await fetch(`${env.url}/api/me`, { headers: { cookie: `kli8nt_session=${session}` } });
    expect(await me.json()).toMatchObject({ id: userId, login: "octo", name: "Octo Cat" });
    const account = await getGitHubAccount(env.database.db, userId);
    expect(account).toMatchObject({ login: "octo", scopes: ["repo"], tokenValid: true });
    const token = env.deps.box.decrypt(account?.accessTokenEnc ?? "", accessContext(userId));
    expect(token).toMatch(/^gho_/);
    const raw = await env.database.db.execute(sql`select * from github_accounts`);
    expect(JSON.stringify(raw)).toContain("octo");
    expect(JSON.stringify(raw)).not.toContain(token);
    expect(env.logs.join("\n")).not.toContain(token);
    // Signing in again finds the same user instead of making another one.
    expect((await env.signIn("octo")).userId).toBe(userId);
  });

  it("refuses a state that was already used", async () => {
    const { binding, to } = await startSignIn();
    const back = await env.gh.authorize(to.toString(), { login: "octo" });
    expect((await callback(back, binding)).status).toBe(302);
    const replay = await callback(back, binding);
    expect(replay.status).toBe(400);
    expect(replay.headers.get("content-type")).toContain("application/problem+json");
    expect(await replay.json()).toMatchObject({ code: "GITHUB_STATE_INVALID" });
  });

  it("refuses a state that does not match, or a callback in a browser that did not start the sign-in", async () => {
    const { binding, to } = await startSignIn();
    const back = await env.gh.authorize(to.toString(), { login: "mallory" });
    const forged = new URL(back);
    forged.searchParams.set("state", "A".repeat(43));
    expect(await (await callback(forged, binding)).json()).toMatchObject({ code: "GITHUB_STATE_INVALID" });
    // The mismatch consumed the pending sign-in: the genuine callback cannot be used afterwards either.
    expect((await callback(back, binding)).status).toBe(400);

    const other = await startSignIn();
    const theirs = await env.gh.authorize(other.to.toString(), { login: "mallory" });
    const page = await callback(theirs, null, "text/html");
    expect(page.status).toBe(400);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("GITHUB_STATE_INVALID");
    const accounts = await env.database.db.select().from(schema.githubAccounts);
    expect(accounts.map((a) => a.login)).not.toContain("mallory");
  });

  it("explains a denied consent", async () => {
    const { binding, to } = await startSignIn();
    const back = await env.gh.authorize(to.toString(), { login: "octo", deny: true });
    const res = await callback(back, binding);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      code: "GITHUB_SIGN_IN_DENIED",
      detail: expect.stringContaining("declined"),
    });
  });

  it("connects GitHub to the signed-in user instead of creating another one", async () => {
    env.gh.addUser({ login: "admin-on-github" });
    const admin = await ensureAdminUser(env.database.db);
    const link = await fetch(
      `${env.url}/auth/link/${await createSignInLink(env.database.db, admin.id, 60_000)}`,
      {
        redirect: "manual",
      },
    );
    const session = cookieFrom(link, "kli8nt_session");
    const start = await fetch(`${env.url}/auth/github`, {
      redirect: "manual",
      headers: { cookie: `kli8nt_session=${session}` },
    });
    const back = await env.gh.authorize(start.headers.get("location") ?? "", { login: "admin-on-github" });
    expect((await callback(back, cookieFrom(start, "kli8nt_github_signin") ?? "")).status).toBe(302);
    expect((await getGitHubAccount(env.database.db, admin.id))?.login).toBe("admin-on-github");
  });
});

describe("without a GitHub OAuth app", () => {
  it("answers 404 problems on /auth/github and keeps the sign-in link working", async () => {
    const h = await startHarness({ KLI8NT_DATA_DIR: IN_MEMORY });
    try {
      for (const [method, url] of [
        ["GET", "/auth/github"],
        ["HEAD", "/auth/github"],
        ["GET", "/auth/github/callback?code=x&state=y"],
      ] as const) {
        const res = await h.app.inject({ method, url });
        expect(res.statusCode).toBe(404);
        if (method === "GET") expect(res.json()).toMatchObject({ code: "GITHUB_NOT_CONFIGURED" });
      }
      const link = await createSignInLink(h.database.db, h.alice.user.id, 60_000);
      const res = await h.app.inject({ url: `/auth/link/${link}` });
      expect(res.statusCode).toBe(302);
      expect(res.headers["set-cookie"]).toMatch(/kli8nt_session=/);
    } finally {
      await h.close();
    }
  });
});
