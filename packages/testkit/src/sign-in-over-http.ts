import type { FakeGitHub } from "./fake-github/fake-github-types.ts";

/** `name=value` of a Set-Cookie header, by cookie name. */
export function cookieFrom(res: Response, name: string): string | undefined {
  for (const line of res.headers.getSetCookie()) {
    const [pair = ""] = line.split(";");
    const [key, ...value] = pair.split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

/**
 * What a browser does to sign in to Kli8nt at `url` with the fake GitHub: /auth/github → consent (approved
 * over HTTP) → callback with the binding cookie. Returns the session cookie's value and the user id.
 */
export async function signInOverHttp(url: string, gh: FakeGitHub, login: string) {
  const start = await fetch(`${url}/auth/github`, { redirect: "manual" });
  const binding = cookieFrom(start, "kli8nt_github_signin");
  const authorizeUrl = start.headers.get("location");
  if (start.status !== 302 || !binding || !authorizeUrl)
    throw new Error(`/auth/github answered ${start.status}`);
  const callback = await gh.authorize(authorizeUrl, { login });
  const done = await fetch(callback, {
    redirect: "manual",
    headers: { cookie: `kli8nt_github_signin=${binding}` },
  });
  const session = cookieFrom(done, "kli8nt_session");
  if (done.status !== 302 || !session)
    throw new Error(`callback answered ${done.status}: ${await done.text()}`);
  const me = await fetch(`${url}/api/me`, { headers: { cookie: `kli8nt_session=${session}` } });
  const { id } = (await me.json()) as { id: string };
  return { session, userId: id };
}
