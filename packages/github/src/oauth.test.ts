import { type FakeGitHub, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubClient } from "./github-client.ts";
import { isGitHubError } from "./github-error.ts";
import {
  createAuthorizationRequest,
  exchangeCode,
  needsRefresh,
  type OAuthAppConfig,
  refreshAccessToken,
  statesMatch,
} from "./oauth.ts";

const CALLBACK = "http://127.0.0.1:9/auth/github/callback";

describe("GitHub OAuth web flow with PKCE (against the fake GitHub)", () => {
  let gh: FakeGitHub;
  let app: OAuthAppConfig;
  let expiringApp: OAuthAppConfig;

  beforeAll(async () => {
    gh = await startFakeGitHub();
    gh.addUser({ login: "octo" });
    const a = gh.addOAuthApp({ callbackUrl: CALLBACK });
    const b = gh.addOAuthApp({ callbackUrl: CALLBACK, expiringTokens: true });
    app = { webUrl: gh.url, clientId: a.clientId, clientSecret: a.clientSecret };
    expiringApp = { webUrl: gh.url, clientId: b.clientId, clientSecret: b.clientSecret };
  });
  afterAll(() => gh.stop());

  async function authorizeOnce(config: OAuthAppConfig, redirectUri = CALLBACK) {
    const req = createAuthorizationRequest(config, { redirectUri });
    const callback = await gh.authorize(req.url);
    return { req, callback, code: callback.searchParams.get("code") ?? "" };
  }

  async function rejection(p: Promise<unknown>): Promise<string | undefined> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isGitHubError(err, "GITHUB_OAUTH_REJECTED")).toBe(true);
    return isGitHubError(err) ? err.details.githubMessage : undefined;
  }

  it("makes a fresh state of at least 128 bits and an S256 challenge per request", () => {
    const a = createAuthorizationRequest(app, { redirectUri: CALLBACK });
    const b = createAuthorizationRequest(app, { redirectUri: CALLBACK });
    expect(Buffer.from(a.state, "base64url").length * 8).toBeGreaterThanOrEqual(128);
    expect(a.state).not.toBe(b.state);
    expect(a.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    const url = new URL(a.url);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("scope")).toBe("repo");
    expect(url.searchParams.get("code_challenge")).not.toBe(a.codeVerifier);
  });

  it("signs in: consent, code + state back, exchange with the verifier, token works on the API", async () => {
    const { req, callback, code } = await authorizeOnce(app);
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    expect(statesMatch(req.state, callback.searchParams.get("state"))).toBe(true);
    // One character different (whatever the random last character was).
    const tampered = `${req.state.slice(0, -1)}${req.state.endsWith("A") ? "B" : "A"}`;
    expect(statesMatch(req.state, tampered)).toBe(false);
    expect(statesMatch(req.state, null)).toBe(false);
    const tokens = await exchangeCode(app, { code, codeVerifier: req.codeVerifier, redirectUri: CALLBACK });
    expect(tokens.scopes).toEqual(["repo"]);
    expect(tokens.expiresAt).toBeUndefined();
    const viewer = await createGitHubClient({ apiUrl: gh.apiUrl, token: tokens.accessToken }).getViewer();
    expect(viewer.login).toBe("octo");
  });

  it("refuses a wrong PKCE verifier", async () => {
    const { code } = await authorizeOnce(app);
    const other = createAuthorizationRequest(app, { redirectUri: CALLBACK });
    const error = await rejection(
      exchangeCode(app, { code, codeVerifier: other.codeVerifier, redirectUri: CALLBACK }),
    );
    expect(error).toBe("bad_verification_code");
  });

  it("refuses a code used twice", async () => {
    const { req, code } = await authorizeOnce(app);
    await exchangeCode(app, { code, codeVerifier: req.codeVerifier, redirectUri: CALLBACK });
    const error = await rejection(
      exchangeCode(app, { code, codeVerifier: req.codeVerifier, redirectUri: CALLBACK }),
    );
    expect(error).toBe("bad_verification_code");
  });

  it("refuses an exchange whose redirect_uri differs from the authorize request", async () => {
    const { req, code } = await authorizeOnce(app, `${CALLBACK}/sub`);
    const error = await rejection(
      exchangeCode(app, { code, codeVerifier: req.codeVerifier, redirectUri: CALLBACK }),
    );
    expect(error).toBe("redirect_uri_mismatch");
  });

  it("refuses a wrong client secret", async () => {
    const { req, code } = await authorizeOnce(app);
    const wrong = { ...app, clientSecret: "not-the-secret" };
    const error = await rejection(
      exchangeCode(wrong, { code, codeVerifier: req.codeVerifier, redirectUri: CALLBACK }),
    );
    expect(error).toBe("incorrect_client_credentials");
  });

  it("sends a foreign redirect_uri back to the registered callback with an error", async () => {
    const req = createAuthorizationRequest(app, { redirectUri: "http://evil.example/steal" });
    const callback = await gh.authorize(req.url);
    expect(callback.origin).toBe("http://127.0.0.1:9");
    expect(callback.searchParams.get("error")).toBe("redirect_uri_mismatch");
    expect(callback.searchParams.get("code")).toBeNull();
  });

  it("reports a denied consent as access_denied without a code", async () => {
    const req = createAuthorizationRequest(app, { redirectUri: CALLBACK });
    const callback = await gh.authorize(req.url, { deny: true });
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("code")).toBeNull();
  });

  it("refreshes expiring tokens; a refresh token works once; an expired token is GITHUB_UNAUTHORIZED", async () => {
    const { req, code } = await authorizeOnce(expiringApp);
    const first = await exchangeCode(expiringApp, {
      code,
      codeVerifier: req.codeVerifier,
      redirectUri: CALLBACK,
    });
    expect(first.refreshToken).toMatch(/^ghr_/);
    expect(first.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 7 * 3600_000);
    expect(needsRefresh(first)).toBe(false);
    expect(needsRefresh(first, Date.now() + 8 * 3600_000)).toBe(true);

    gh.expireToken(first.accessToken);
    const stale = createGitHubClient({ apiUrl: gh.apiUrl, token: first.accessToken });
    await expect(stale.getViewer()).rejects.toMatchObject({ code: "GITHUB_UNAUTHORIZED" });

    const second = await refreshAccessToken(expiringApp, first.refreshToken ?? "");
    expect(second.accessToken).not.toBe(first.accessToken);
    const fresh = createGitHubClient({ apiUrl: gh.apiUrl, token: second.accessToken });
    expect((await fresh.getViewer()).login).toBe("octo");
    expect(await rejection(refreshAccessToken(expiringApp, first.refreshToken ?? ""))).toBe(
      "bad_refresh_token",
    );
  });
});
