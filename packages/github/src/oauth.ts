import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { GitHubError } from "./github-error.ts";

/**
 * Kli8nt asks for `repo` only: it is the narrowest classic OAuth scope that reads private repositories,
 * manages their webhooks and writes deployment statuses. The profile (`GET /user`) needs no scope.
 */
export const DEFAULT_SCOPES: readonly string[] = ["repo"];

export interface OAuthAppConfig {
  /** GitHub web base (https://github.com or an Enterprise host). */
  webUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number;
}

export interface AuthorizationRequest {
  /** Where to send the browser. */
  url: string;
  /** 256 random bits; keep server-side bound to the browser session, compare with `statesMatch`, use once. */
  state: string;
  /** PKCE verifier (43 chars of base64url); keep server-side with the state, send at code exchange. */
  codeVerifier: string;
}

export interface TokenSet {
  accessToken: string;
  tokenType: string;
  scopes: string[];
  /** Set when the app uses expiring user tokens (8 hours on GitHub). */
  expiresAt?: Date;
  refreshToken?: string;
  refreshTokenExpiresAt?: Date;
}

/** PKCE S256: challenge = base64url(sha256(verifier)). */
export function pkceChallenge(codeVerifier: string): string {
  return createHash("sha256").update(codeVerifier).digest("base64url");
}

/** Builds the authorize URL with a fresh state (256 bits) and a PKCE S256 pair. */
export function createAuthorizationRequest(
  config: Pick<OAuthAppConfig, "webUrl" | "clientId">,
  opts: { redirectUri: string; scopes?: readonly string[]; login?: string },
): AuthorizationRequest {
  const state = randomBytes(32).toString("base64url");
  const codeVerifier = randomBytes(32).toString("base64url");
  const url = new URL("/login/oauth/authorize", config.webUrl);
  url.searchParams.set("client_id", config.clientId);
  url.searchParams.set("redirect_uri", opts.redirectUri);
  url.searchParams.set("scope", (opts.scopes ?? DEFAULT_SCOPES).join(" "));
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", pkceChallenge(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("allow_signup", "false");
  if (opts.login) url.searchParams.set("login", opts.login);
  return { url: url.toString(), state, codeVerifier };
}

/** Constant-time comparison of the stored and the returned `state`. */
export function statesMatch(expected: string, received: string | null | undefined): boolean {
  if (typeof received !== "string" || expected.length === 0) return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(received).digest();
  return timingSafeEqual(a, b) && expected.length === received.length;
}

function toTokenSet(body: Record<string, unknown>): TokenSet {
  const now = Date.now();
  const seconds = (key: string) =>
    typeof body[key] === "number" ? (body[key] as number) : Number(body[key]);
  const set: TokenSet = {
    accessToken: String(body.access_token),
    tokenType: String(body.token_type ?? "bearer"),
    scopes: String(body.scope ?? "")
      .split(/[\s,]+/)
      .filter(Boolean),
  };
  if (body.expires_in !== undefined) set.expiresAt = new Date(now + seconds("expires_in") * 1000);
  if (typeof body.refresh_token === "string") set.refreshToken = body.refresh_token;
  if (body.refresh_token_expires_in !== undefined) {
    set.refreshTokenExpiresAt = new Date(now + seconds("refresh_token_expires_in") * 1000);
  }
  return set;
}

async function postTokenEndpoint(config: OAuthAppConfig, params: Record<string, string>): Promise<TokenSet> {
  const url = new URL("/login/oauth/access_token", config.webUrl);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: config.clientId,
        client_secret: config.clientSecret,
        ...params,
      }),
      signal: AbortSignal.timeout(config.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new GitHubError("GITHUB_UNAVAILABLE", "GitHub is unavailable (token endpoint)", {
      cause: err,
      details: { action: "retry-later" },
    });
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    throw new GitHubError("GITHUB_UNAVAILABLE", `GitHub token endpoint answered ${res.status}`, {
      details: { status: res.status, action: "retry-later" },
    });
  }
  // GitHub reports grant errors with HTTP 200 and an `error` field.
  if (typeof body.error === "string" || typeof body.access_token !== "string") {
    const error = typeof body.error === "string" ? body.error : "no_access_token";
    throw new GitHubError("GITHUB_OAUTH_REJECTED", `GitHub refused the sign-in (${error})`, {
      details: { status: res.status, githubMessage: error },
    });
  }
  return toTokenSet(body);
}

/** Exchanges an authorization code (with its PKCE verifier and the same redirect_uri) for tokens. */
export function exchangeCode(
  config: OAuthAppConfig,
  opts: { code: string; codeVerifier: string; redirectUri: string },
): Promise<TokenSet> {
  return postTokenEndpoint(config, {
    code: opts.code,
    code_verifier: opts.codeVerifier,
    redirect_uri: opts.redirectUri,
  });
}

/** Trades a refresh token (single use) for a new access + refresh token pair. */
export function refreshAccessToken(config: OAuthAppConfig, refreshToken: string): Promise<TokenSet> {
  return postTokenEndpoint(config, { grant_type: "refresh_token", refresh_token: refreshToken });
}

/** Whether a token set should be refreshed now (expires within `marginMs`). */
export function needsRefresh(
  tokens: Pick<TokenSet, "expiresAt">,
  now = Date.now(),
  marginMs = 5 * 60_000,
): boolean {
  return tokens.expiresAt !== undefined && tokens.expiresAt.getTime() - marginMs <= now;
}
