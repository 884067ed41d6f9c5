import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { escapeHtml, parseParams, readBody, sendJson, sendText } from "./http-io.ts";
import { type FakeOAuthApp, type FakeStore, mintTokenValue } from "./store.ts";

export interface OAuthDeps {
  store: FakeStore;
  codeTtlMs: number;
  /** The account the fake browser session is signed in as (GitHub's own login cookie). */
  signedInAs: () => string | undefined;
}

const ERROR_URI =
  "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";
const EIGHT_HOURS_S = 8 * 3600;
const SIX_MONTHS_S = 15_811_200;

/** GitHub accepts a redirect_uri on the registered callback's host and port, at its path or below. */
function redirectAllowed(app: FakeOAuthApp, redirectUri: string): boolean {
  try {
    const want = new URL(app.callbackUrl);
    const got = new URL(redirectUri);
    const base = want.pathname.endsWith("/") ? want.pathname : `${want.pathname}/`;
    const pathOk = got.pathname === want.pathname || got.pathname.startsWith(base);
    return got.protocol === want.protocol && got.host === want.host && pathOk && !got.pathname.includes("..");
  } catch {
    return false;
  }
}

function redirect(res: ServerResponse, target: string, params: Record<string, string>): void {
  const url = new URL(target);
  for (const [k, v] of Object.entries(params)) if (v !== "") url.searchParams.set(k, v);
  res.writeHead(302, { location: url.toString(), "content-length": 0 });
  res.end();
}

function consentPage(app: FakeOAuthApp, params: URLSearchParams, login: string): string {
  const hidden = [...params.entries()]
    .filter(([k]) => k !== "login")
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join("\n      ");
  const scopes = (params.get("scope") ?? "").split(/[\s,]+/).filter(Boolean);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize application</title></head>
<body>
  <h1>Authorize ${escapeHtml(app.clientId)}</h1>
  <p>Signed in as <strong id="login">${escapeHtml(login)}</strong></p>
  <p>Requested scopes: <span id="scopes">${escapeHtml(scopes.join(", ") || "(no scope)")}</span></p>
  <form method="post" action="/login/oauth/authorize">
      ${hidden}
      <input type="hidden" name="login" value="${escapeHtml(login)}">
      <button type="submit" name="authorize" value="1" id="js-oauth-authorize-btn">Authorize</button>
      <button type="submit" name="authorize" value="0" id="js-oauth-cancel-btn">Cancel</button>
  </form>
</body></html>`;
}

/** Checks client_id, redirect_uri and PKCE method; answers the error itself and returns undefined on failure. */
function checkAuthorizeParams(deps: OAuthDeps, res: ServerResponse, params: URLSearchParams) {
  const app = deps.store.apps.get(params.get("client_id") ?? "");
  if (!app) {
    sendText(res, 404, "Not Found: unknown client_id");
    return undefined;
  }
  const redirectUri = params.get("redirect_uri") ?? undefined;
  if (redirectUri !== undefined && !redirectAllowed(app, redirectUri)) {
    redirect(res, app.callbackUrl, {
      error: "redirect_uri_mismatch",
      error_description: "The redirect_uri MUST match the registered callback URL for this application.",
      error_uri: `${ERROR_URI}#redirect-uri-mismatch`,
      state: params.get("state") ?? "",
    });
    return undefined;
  }
  const method = params.get("code_challenge_method");
  if (params.get("code_challenge") && method !== "S256") {
    sendText(res, 400, "code_challenge_method must be S256");
    return undefined;
  }
  return { app, redirectUri };
}

/** `GET /login/oauth/authorize`: the consent page (a real form, so a browser test can click Authorize). */
export function showAuthorize(deps: OAuthDeps, res: ServerResponse, url: URL) {
  const checked = checkAuthorizeParams(deps, res, url.searchParams);
  if (!checked) return;
  const login = url.searchParams.get("login") || deps.signedInAs();
  if (!login || !deps.store.users.has(login.toLowerCase())) {
    return sendText(res, 401, "No signed-in user: call addUser() or signInAs() on the fake first");
  }
  const html = consentPage(checked.app, url.searchParams, login);
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
  });
  res.end(html);
}

/** `POST /login/oauth/authorize`: the user's decision; redirects back with `code` and `state`. */
export async function decideAuthorize(deps: OAuthDeps, req: IncomingMessage, res: ServerResponse) {
  const params = toSearchParams(parseParams(req, await readBody(req)));
  const checked = checkAuthorizeParams(deps, res, params);
  if (!checked) return;
  const target = checked.redirectUri ?? checked.app.callbackUrl;
  const state = params.get("state") ?? "";
  if (params.get("authorize") !== "1") {
    return redirect(res, target, {
      error: "access_denied",
      error_description: "The user has denied your application access.",
      state,
    });
  }
  const code = randomBytes(10).toString("hex");
  const challenge = params.get("code_challenge");
  deps.store.codes.set(code, {
    code,
    clientId: checked.app.clientId,
    login: (params.get("login") ?? "").toLowerCase(),
    scopes: (params.get("scope") ?? "").split(/[\s,]+/).filter(Boolean),
    ...(checked.redirectUri ? { redirectUri: checked.redirectUri } : {}),
    ...(challenge ? { codeChallenge: challenge, codeChallengeMethod: "S256" } : {}),
    expiresAt: Date.now() + deps.codeTtlMs,
    used: false,
  });
  redirect(res, target, { code, state });
}

function toSearchParams(record: Record<string, unknown>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(record)) params.set(k, String(v));
  return params;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

type TokenAnswer = Record<string, string | number>;

function oauthError(error: string, description: string): TokenAnswer {
  return { error, error_description: description, error_uri: `${ERROR_URI}#${error.replaceAll("_", "-")}` };
}

function issueTokens(deps: OAuthDeps, app: FakeOAuthApp, login: string, scopes: string[]): TokenAnswer {
  const access = mintTokenValue(app.expiringTokens ? "ghu" : "gho");
  const now = Date.now();
  deps.store.tokens.set(access, {
    value: access,
    login,
    scopes,
    revoked: false,
    clientId: app.clientId,
    ...(app.expiringTokens ? { expiresAt: now + EIGHT_HOURS_S * 1000 } : {}),
  });
  const answer: TokenAnswer = { access_token: access, token_type: "bearer", scope: scopes.join(",") };
  if (!app.expiringTokens) return answer;
  const refresh = mintTokenValue("ghr");
  deps.store.refreshTokens.set(refresh, {
    value: refresh,
    login,
    clientId: app.clientId,
    scopes,
    expiresAt: now + SIX_MONTHS_S * 1000,
    used: false,
  });
  return {
    ...answer,
    expires_in: EIGHT_HOURS_S,
    refresh_token: refresh,
    refresh_token_expires_in: SIX_MONTHS_S,
  };
}

function exchangeCode(deps: OAuthDeps, app: FakeOAuthApp, p: Record<string, string>): TokenAnswer {
  const code = deps.store.codes.get(p.code ?? "");
  const badCode = oauthError("bad_verification_code", "The code passed is incorrect or expired.");
  if (!code || code.clientId !== app.clientId || code.used || code.expiresAt <= Date.now()) return badCode;
  // Single use even when the rest of the request is wrong, so a leaked code cannot be retried.
  code.used = true;
  if (code.redirectUri !== undefined && p.redirect_uri !== code.redirectUri) {
    return oauthError(
      "redirect_uri_mismatch",
      "The redirect_uri MUST match the registered callback URL for this application.",
    );
  }
  if (code.codeChallenge !== undefined) {
    const verifier = p.code_verifier ?? "";
    const computed = createHash("sha256").update(verifier).digest("base64url");
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || !safeEqual(computed, code.codeChallenge)) {
      return oauthError("bad_verification_code", "The code_verifier does not match the code_challenge.");
    }
  }
  return issueTokens(deps, app, code.login, code.scopes);
}

function refresh(deps: OAuthDeps, app: FakeOAuthApp, p: Record<string, string>): TokenAnswer {
  const stored = deps.store.refreshTokens.get(p.refresh_token ?? "");
  if (!stored || stored.clientId !== app.clientId || stored.used || stored.expiresAt <= Date.now()) {
    return oauthError("bad_refresh_token", "The refresh token passed is incorrect or expired.");
  }
  stored.used = true;
  return issueTokens(deps, app, stored.login, stored.scopes);
}

/** `POST /login/oauth/access_token`: code or refresh-token grant; errors are 200 answers, as on GitHub. */
export async function accessToken(deps: OAuthDeps, req: IncomingMessage, res: ServerResponse, url: URL) {
  const body = parseParams(req, await readBody(req));
  const p: Record<string, string> = Object.fromEntries(url.searchParams);
  for (const [k, v] of Object.entries(body)) p[k] = String(v);
  const app = deps.store.apps.get(p.client_id ?? "");
  let answer: TokenAnswer;
  if (!app || !safeEqual(p.client_secret ?? "", app.clientSecret)) {
    answer = oauthError(
      "incorrect_client_credentials",
      "The client_id and/or client_secret passed are incorrect.",
    );
  } else if (p.grant_type === "refresh_token") {
    answer = refresh(deps, app, p);
  } else {
    answer = exchangeCode(deps, app, p);
  }
  if ((req.headers.accept ?? "").includes("application/json")) return sendJson(res, 200, answer);
  const form = toSearchParams(answer).toString();
  res.writeHead(200, {
    "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    "content-length": Buffer.byteLength(form),
  });
  res.end(form);
}
