import { createSession, createUser, listDeployments, listGitHubHooks } from "@kli8nt/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMissedPushCheck } from "./missed-push.ts";
import { cookieFrom, eventually, type GitHubTestEnv, startGitHubTestEnv } from "./test-env.ts";

let env: GitHubTestEnv;
let appId: string;

beforeAll(async () => {
  env = await startGitHubTestEnv();
  env.gh.addUser({ login: "alice" });
  await env.gh.addRepo({ owner: "alice", name: "site", private: true, files: { "index.html": "v1" } });
  const cookie = `kli8nt_session=${(await env.signIn("alice")).session}`;
  const res = await fetch(`${env.url}/api/apps`, {
    method: "POST",
    headers: { cookie, origin: env.url, "content-type": "application/json" },
    body: JSON.stringify({ name: "site", repository: { url: `${env.gh.url}/alice/site` } }),
  });
  appId = ((await res.json()) as { id: string }).id;
  await eventually(() => expect(env.gh.hooks("alice/site")).toHaveLength(1));
});
afterAll(async () => env?.close());

const commits = async () =>
  (await listDeployments(env.database.db, appId, { limit: 20 })).items.map((d) => d.commitSha);

describe("missed pushes", () => {
  it("queues a push whose webhook never arrived, on the second pass, and only once", async () => {
    const check = createMissedPushCheck(env.deps);
    expect(await check.run()).toEqual([]); // never deployed: the first deploy is the user's call
    const first = await env.gh.push("alice/site", { files: { "index.html": "v2" } });
    expect(await commits()).toEqual([first.after]);

    const [hook] = env.gh.hooks("alice/site");
    if (!hook) throw new Error("no hook");
    hook.active = false;
    const missed = await env.gh.push("alice/site", { files: { "index.html": "v3" } });
    hook.active = true;
    expect(missed.deliveries).toEqual([]);

    expect(await check.run()).toEqual([]);
    expect(await check.run()).toHaveLength(1);
    expect(await check.run()).toEqual([]);
    expect(await commits()).toEqual([missed.after, first.after]);
  });
});

describe("connecting GitHub after creating an app", () => {
  it("creates the webhook that could not be made before the account was connected", async () => {
    env.gh.addUser({ login: "bob" });
    await env.gh.addRepo({ owner: "bob", name: "tool", files: { "main.go": "package main" } });
    const local = await createUser(env.database.db, { login: "bob-local" });
    const cookie = `kli8nt_session=${await createSession(env.database.db, local.id, 600_000)}`;
    const created = await fetch(`${env.url}/api/apps`, {
      method: "POST",
      headers: { cookie, origin: env.url, "content-type": "application/json" },
      body: JSON.stringify({ name: "tool", repository: { url: `${env.gh.url}/bob/tool` } }),
    });
    const { id } = (await created.json()) as { id: string };
    await eventually(async () => {
      const row = (await listGitHubHooks(env.database.db)).find((h) => h.appId === id);
      expect(row).toMatchObject({ hookId: null, lastError: expect.stringContaining("Connect") });
    });

    const start = await fetch(`${env.url}/auth/github`, { redirect: "manual", headers: { cookie } });
    const back = await env.gh.authorize(start.headers.get("location") ?? "", { login: "bob" });
    const done = await fetch(back, {
      redirect: "manual",
      headers: { cookie: `kli8nt_github_signin=${cookieFrom(start, "kli8nt_github_signin")}` },
    });
    expect(done.status).toBe(302);
    await eventually(() => expect(env.gh.hooks("bob/tool")).toHaveLength(1));
  });
});
