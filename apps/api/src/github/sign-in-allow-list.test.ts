import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cookieFrom, type GitHubTestEnv, startGitHubTestEnv } from "./test-env.ts";

/** A browser's whole sign-in as `login`; the callback's answer, as a browser (HTML) sees it. */
async function tryToSignIn(env: GitHubTestEnv, login: string) {
  try {
    env.gh.addUser({ login });
  } catch {
    // Already there: a second attempt by the same person.
  }
  const start = await fetch(`${env.url}/auth/github`, { redirect: "manual" });
  const back = await env.gh.authorize(start.headers.get("location") ?? "", { login });
  const res = await fetch(back, {
    redirect: "manual",
    headers: {
      cookie: `kli8nt_github_signin=${cookieFrom(start, "kli8nt_github_signin")}`,
      accept: "text/html",
    },
  });
  return { status: res.status, session: cookieFrom(res, "kli8nt_session"), page: await res.text() };
}

const decisions = (env: GitHubTestEnv) =>
  env.logs
    .join("")
    .split("\n")
    .filter((line) => line.includes("GitHub sign-in"))
    .map((line) => JSON.parse(line) as { msg: string; login: string; reason: string });

describe("without an allow-list: the first user, then those an administrator approves", () => {
  let env: GitHubTestEnv;
  beforeAll(async () => {
    env = await startGitHubTestEnv();
  });
  afterAll(async () => env?.close());

  it("lets the first user in as an administrator, and shows the next one a page saying they wait", async () => {
    const first = await tryToSignIn(env, "founder");
    expect(first.status).toBe(302);
    const me = await fetch(`${env.url}/api/me`, { headers: { cookie: `kli8nt_session=${first.session}` } });
    expect(await me.json()).toMatchObject({ login: "founder", isAdmin: true });

    const second = await tryToSignIn(env, "newcomer");
    expect(second.status).toBe(403);
    expect(second.session).toBeUndefined();
    expect(second.page).toContain("waiting for an administrator");
    expect(second.page).toContain("GITHUB_SIGN_IN_PENDING");
    expect(decisions(env)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          msg: "Allowed GitHub sign-in",
          login: "founder",
          reason: expect.stringContaining("first user"),
        }),
        expect.objectContaining({ msg: "Refused GitHub sign-in", login: "newcomer" }),
      ]),
    );
    expect(env.logs.join("")).not.toMatch(/gho_[A-Za-z0-9]/);
  });

  it("lists the waiting login to the administrator, who approves it; then it signs in", async () => {
    const { session } = await tryToSignIn(env, "founder");
    const asAdmin = { cookie: `kli8nt_session=${session}`, origin: env.url };
    const pending = await fetch(`${env.url}/api/admin/sign-ins`, { headers: asAdmin });
    expect((await pending.json()) as unknown).toMatchObject({
      items: [{ login: "newcomer", status: "pending" }],
    });

    const newcomerTry = await tryToSignIn(env, "newcomer");
    expect(newcomerTry.status).toBe(403);
    const approve = await fetch(`${env.url}/api/admin/users/newcomer/approve`, {
      method: "POST",
      headers: asAdmin,
    });
    expect(approve.status).toBe(200);
    const admitted = await tryToSignIn(env, "newcomer");
    expect(admitted.status).toBe(302);

    // Not an administrator: no approving.
    const asNewcomer = { cookie: `kli8nt_session=${admitted.session}`, origin: env.url };
    const refused = await fetch(`${env.url}/api/admin/users/someone/approve`, {
      method: "POST",
      headers: asNewcomer,
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "ADMIN_REQUIRED" });
  });
});

describe("with KLI8NT_GITHUB_ALLOWED_USERS and KLI8NT_GITHUB_ALLOWED_ORGS", () => {
  let env: GitHubTestEnv;
  beforeAll(async () => {
    env = await startGitHubTestEnv({
      env: { KLI8NT_GITHUB_ALLOWED_USERS: "Listed, other", KLI8NT_GITHUB_ALLOWED_ORGS: "acme" },
    });
    env.gh.addUser({ login: "member" });
    env.gh.addOrgMember("acme", "member");
  });
  afterAll(async () => env?.close());

  it("lets in listed users and members of listed orgs, and refuses anyone else with the reason", async () => {
    const stranger = await tryToSignIn(env, "stranger");
    expect(stranger.status).toBe(403);
    expect(stranger.page).toContain("GITHUB_SIGN_IN_NOT_ALLOWED");
    expect(stranger.page).toContain("stranger is not among the users allowed");
    expect((await tryToSignIn(env, "listed")).status).toBe(302);
    expect((await tryToSignIn(env, "member")).status).toBe(302);
    expect(decisions(env)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: "Refused GitHub sign-in", login: "stranger" }),
        expect.objectContaining({ login: "listed", reason: "listed in KLI8NT_GITHUB_ALLOWED_USERS" }),
        expect.objectContaining({ login: "member", reason: "member of the GitHub organization acme" }),
      ]),
    );
  });
});
