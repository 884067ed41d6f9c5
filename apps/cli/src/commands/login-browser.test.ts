import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import { createSession, createUser, type Database, IN_MEMORY, openDatabase, SecretBox } from "@kli8nt/db";
import { freePort } from "@kli8nt/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loginCommand, type RemoteContext } from "./remote.ts";

// The whole `kli8nt login` browser flow: the real CLI code, a real api on a socket, and fetch playing the
// browser with a real session cookie. Nothing is mocked.
let dir: string;
let database: Database;
let api: FastifyInstance;
let url: string;
let cookie: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kli8nt-login-"));
  database = await openDatabase({ dataDir: IN_MEMORY });
  // The Origin check compares with the public URL, so the api gets a known free port before it is built.
  const port = await freePort();
  const config = loadConfig({
    KLI8NT_DATA_DIR: dir,
    KLI8NT_LOG_LEVEL: "silent",
    KLI8NT_PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  api = await buildApi({
    config,
    db: database.db,
    box: new SecretBox(randomBytes(32)),
    onOutboxWrite: () => undefined,
  });
  url = await api.listen({ host: "127.0.0.1", port });
  const user = await createUser(database.db, { login: "erin" });
  cookie = `kli8nt_session=${await createSession(database.db, user.id, 600_000)}`;
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

function startLogin() {
  const err: string[] = [];
  const ctx: RemoteContext = {
    io: { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) } },
    env: { KLI8NT_CONFIG_DIR: path.join(dir, "cfg") },
  };
  const done = loginCommand(["--url", url, "--no-browser"], ctx);
  const signInUrl = async () => {
    for (let i = 0; i < 100 && !err.join("").includes("/auth/cli"); i++)
      await new Promise((r) => setTimeout(r, 20));
    const found = /(http:\/\/\S+\/auth\/cli\?\S+)/.exec(err.join(""))?.[1];
    if (!found) throw new Error(`no sign-in URL printed: ${err.join("")}`);
    return new URL(found);
  };
  return { done, signInUrl };
}

const formOf = (u: URL) =>
  new URLSearchParams(
    ["port", "state", "host"].map((k): [string, string] => [k, u.searchParams.get(k) ?? ""]),
  );

describe("kli8nt login through the browser (loopback redirect)", () => {
  it("a signed-in user confirms; the CLI gets a working token and saves it 0600", async () => {
    const { done, signInUrl } = startLogin();
    const target = await signInUrl();
    const page = await fetch(target, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("erin");
    expect(html).toContain('method="post"');

    const approve = await fetch(new URL("/auth/cli", url), {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin: new URL(url).origin, "content-type": "application/x-www-form-urlencoded" },
      body: formOf(target),
    });
    expect(approve.status).toBe(303);
    const location = new URL(approve.headers.get("location") ?? "");
    expect(location.origin).toBe(`http://127.0.0.1:${target.searchParams.get("port")}`);
    expect(location.searchParams.get("state")).toBe(target.searchParams.get("state"));
    const callback = await fetch(location);
    expect(callback.status).toBe(200);

    expect(await done).toBe(0);
    const file = path.join(dir, "cfg", "credentials.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { token: string };
    const me = await fetch(new URL("/api/tokens", url), {
      headers: { authorization: `Bearer ${saved.token}` },
    });
    expect(me.status).toBe(200);
    const { items } = (await me.json()) as { items: { name: string; expiresAt: string | null }[] };
    expect(items.map((t) => t.name)).toContainEqual(expect.stringMatching(/^cli on /));
  });

  it("refuses a wrong state, an unsigned visitor and a cross-site approval", async () => {
    const { done, signInUrl } = startLogin();
    const target = await signInUrl();
    const port = target.searchParams.get("port");
    // A forged callback with another state is turned away and the CLI keeps waiting.
    const forged = await fetch(`http://127.0.0.1:${port}/callback?state=${"x".repeat(32)}&token=k8t_forged`);
    expect(forged.status).toBe(400);

    const anonymous = await fetch(target);
    expect(await anonymous.text()).toContain("Sign in to Kli8nt first");
    const post = (headers: Record<string, string>) =>
      fetch(new URL("/auth/cli", url), {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: formOf(target),
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ cookie, origin: "https://evil.example" })).status).toBe(403);

    const ok = await post({ cookie, origin: new URL(url).origin });
    await fetch(ok.headers.get("location") ?? "");
    expect(await done).toBe(0);
  });

  it("accepts only loopback ports and well-formed state", async () => {
    for (const query of [
      "port=80&state=aaaaaaaaaaaaaaaaaaaa",
      "port=5000&state=short",
      "port=5000&state=a%2Fbbbbbbbbbbbbbbbbbbbb",
    ]) {
      const res = await fetch(new URL(`/auth/cli?${query}`, url), { headers: { cookie } });
      expect(res.status).toBe(400);
    }
  });
});
