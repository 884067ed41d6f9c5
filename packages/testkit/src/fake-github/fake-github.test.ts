import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeGitHub } from "./fake-github-types.ts";
import { startFakeGitHub } from "./start-fake-github.ts";

const execFileAsync = promisify(execFile);
const CALLBACK = "http://127.0.0.1:9/cb";

describe("fake GitHub speaks GitHub's wire formats", () => {
  let gh: FakeGitHub;
  let token: string;
  let work: string;

  beforeAll(async () => {
    gh = await startFakeGitHub({ codeTtlMs: 300 });
    token = gh.addUser({ login: "zed" }).token;
    await gh.addRepo({ owner: "zed", name: "hidden", private: true });
    await gh.addRepo({ owner: "zed", name: "open" });
    work = await mkdtemp(join(tmpdir(), "kli8nt-fake-gh-test-"));
  });
  afterAll(async () => {
    await gh.stop();
    await rm(work, { recursive: true, force: true });
  });

  const api = (path: string, init: RequestInit = {}) => fetch(`${gh.apiUrl}${path}`, init);
  const auth = (t: string) => ({ headers: { authorization: `token ${t}` } });

  it("checks org membership as GitHub does: 204 member, 404 not, 302 for a caller outside the org", async () => {
    const amy = gh.addUser({ login: "amy-org" }).token;
    const out = gh.addUser({ login: "outsider" }).token;
    gh.addOrgMember("Acme", "amy-org");
    gh.addOrgMember("acme", "zed");
    expect((await api("/orgs/acme/members/zed", auth(amy))).status).toBe(204);
    expect((await api("/orgs/acme/members/outsider", auth(amy))).status).toBe(404);
    const redirected = await api("/orgs/acme/members/amy-org", { ...auth(out), redirect: "manual" });
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get("location")).toContain("/orgs/acme/public_members/amy-org");
    expect((await api("/orgs/nobody/members/zed", auth(amy))).status).toBe(404);
    expect((await api("/orgs/acme/members/zed")).status).toBe(401);
  });

  it("answers errors as GitHub does: 401 Bad credentials, 401 without auth, 404 for a hidden repo", async () => {
    const bad = await api("/user", auth("gho_nope"));
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({
      message: "Bad credentials",
      documentation_url: expect.any(String),
    });
    expect((await api("/user")).status).toBe(401);
    const hidden = await api("/repos/zed/hidden");
    expect(hidden.status).toBe(404);
    expect(await hidden.json()).toMatchObject({ message: "Not Found" });
    expect((await api("/repos/zed/open")).status).toBe(200);
  });

  it("hides private repos from a token without the repo scope", async () => {
    const narrow = gh.issueToken("zed", { scopes: ["read:user"] });
    const list = (await (await api("/user/repos", auth(narrow))).json()) as Array<{ name: string }>;
    expect(list.map((r) => r.name)).toEqual(["open"]);
    expect((await api("/repos/zed/hidden", auth(narrow))).status).toBe(404);
    const res = await api("/user", auth(narrow));
    expect(res.headers.get("x-oauth-scopes")).toBe("read:user");
  });

  it("counts the rate limit down and refuses anonymous callers once it is spent", async () => {
    const a = await api("/repos/zed/open");
    const b = await api("/repos/zed/open");
    expect(Number(b.headers.get("x-ratelimit-remaining"))).toBe(
      Number(a.headers.get("x-ratelimit-remaining")) - 1,
    );
    expect(a.headers.get("x-ratelimit-limit")).toBe("60");
    gh.setRateLimit(null, { remaining: 0, status: 429, resetInSeconds: 5 });
    const spent = await api("/repos/zed/open");
    expect(spent.status).toBe(429);
    expect(spent.headers.get("retry-after")).toBe("5");
    expect(((await spent.json()) as { message: string }).message).toMatch(/rate limit exceeded/);
    gh.setRateLimit(null, { remaining: 60 });
  });

  it("serves the consent page with an Authorize button, and form-encoded tokens without Accept: json", async () => {
    const app = gh.addOAuthApp({ callbackUrl: CALLBACK });
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const authorizeUrl = `${gh.url}/login/oauth/authorize?client_id=${app.clientId}&scope=repo&state=s1&code_challenge=${challenge}&code_challenge_method=S256`;
    const page = await fetch(authorizeUrl);
    const html = await page.text();
    expect(html).toContain('id="js-oauth-authorize-btn"');
    expect(html).toContain(">zed<");
    const code = (await gh.authorize(authorizeUrl)).searchParams.get("code") ?? "";
    const res = await fetch(`${gh.url}/login/oauth/access_token`, {
      method: "POST",
      body: new URLSearchParams({
        client_id: app.clientId,
        client_secret: app.clientSecret,
        code,
        code_verifier: verifier,
      }),
    });
    expect(res.headers.get("content-type")).toMatch(/x-www-form-urlencoded/);
    const answer = new URLSearchParams(await res.text());
    expect(answer.get("access_token")).toMatch(/^gho_/);
    expect(answer.get("scope")).toBe("repo");
  });

  it("expires authorization codes", async () => {
    const app = gh.addOAuthApp({ callbackUrl: CALLBACK });
    const url = `${gh.url}/login/oauth/authorize?client_id=${app.clientId}&state=s2`;
    const code = (await gh.authorize(url)).searchParams.get("code") ?? "";
    await new Promise((resolve) => setTimeout(resolve, 400));
    const res = await fetch(`${gh.url}/login/oauth/access_token`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({ client_id: app.clientId, client_secret: app.clientSecret, code }),
    });
    expect(await res.json()).toMatchObject({ error: "bad_verification_code" });
  });

  it("serves git smart HTTP read-only: Bearer works, dumb HTTP and pushes are refused", async () => {
    const url = `${gh.url}/zed/hidden.git`;
    const env = {
      PATH: process.env.PATH ?? "/usr/bin",
      HOME: work,
      GIT_TERMINAL_PROMPT: "0",
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}`,
    };
    const { stdout } = await execFileAsync("git", ["ls-remote", url, "refs/heads/main"], { env });
    expect(stdout).toMatch(/^[0-9a-f]{40}\trefs\/heads\/main/);
    expect((await fetch(`${url}/info/refs`)).status).toBe(403);
    const push = await fetch(`${url}/info/refs?service=git-receive-pack`, auth(token));
    expect(push.status).toBe(403);
    const anonymous = await fetch(`${url}/info/refs?service=git-upload-pack`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic/);
    gh.addUser({ login: "other" });
    const stranger = await fetch(`${url}/info/refs?service=git-upload-pack`, auth(gh.issueToken("other")));
    expect(stranger.status).toBe(404);
  });

  it("masks hook secrets, pings a new hook, and auto-inactivates earlier non-production successes", async () => {
    const created = await api("/repos/zed/open/hooks", {
      method: "POST",
      headers: { authorization: `token ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ config: { url: "http://127.0.0.1:9/hook", content_type: "json", secret: "s" } }),
    });
    expect(created.status).toBe(201);
    const hook = (await created.json()) as { id: number; config: { secret: string }; events: string[] };
    expect(hook.config.secret).toBe("********");
    expect(hook.events).toEqual(["push"]);
    await expect.poll(() => gh.deliveries.some((d) => d.event === "ping" && d.hookId === hook.id)).toBe(true);
    const post = (path: string, body: unknown) =>
      api(`/repos/zed/open${path}`, {
        method: "POST",
        headers: { authorization: `token ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ id: number }>);
    const first = await post("/deployments", {
      ref: "main",
      environment: "preview",
      production_environment: false,
    });
    await post(`/deployments/${first.id}/statuses`, { state: "success" });
    const second = await post("/deployments", {
      ref: "main",
      environment: "preview",
      production_environment: false,
    });
    await post(`/deployments/${second.id}/statuses`, { state: "success" });
    const states = gh.deployments("zed/open").map((d) => d.statuses.map((s) => s.state));
    expect(states).toEqual([["success", "inactive"], ["success"]]);
    expect(await gh.deliver("zed/open", "issues", { action: "opened" })).toEqual([]);
    const sent = await gh.deliver("zed/open", "push", { ref: "refs/heads/main" });
    expect(sent.map((d) => [d.event, d.hookId])).toEqual([["push", hook.id]]);
    expect(sent[0]?.requestHeaders["x-hub-signature-256"]).toMatch(/^sha256=[0-9a-f]{64}$/);
  });
});
