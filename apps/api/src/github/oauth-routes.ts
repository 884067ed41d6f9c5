import { httpStatusOf, isKli8ntError } from "@kli8nt/core";
import {
  consumePendingSignIn,
  createPendingSignIn,
  createSession,
  findUserBySession,
  forgetFailedHooks,
  hashToken,
  randomToken,
} from "@kli8nt/db";
import { createAuthorizationRequest, isGitHubError, statesMatch } from "@kli8nt/github";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { isSecureUrl, sessionFrom, signInAndRedirect } from "../plugins/auth.ts";
import { sendProblem } from "../plugins/problem-json.ts";
import { toApiError } from "./api-errors.ts";
import { CALLBACK_PATH, completeSignIn, oauthApp, pkceContext, redirectUri } from "./sign-in.ts";
import { signInRefusedPage } from "./sign-in-page.ts";

/** Binds a sign-in to the browser that started it; only sent back to /auth/github/*. */
export const SIGN_IN_COOKIE = "kli8nt_github_signin";
const SIGN_IN_TTL_MS = 10 * 60_000;

const callbackQuery = z.object({
  code: z.string().max(512).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(1000).optional(),
});

const STATE_INVALID =
  "This sign-in is not valid in this browser: it was already used, has expired, or was started elsewhere. Start again at /auth/github";

function deniedDetail(error: string): string {
  return error === "access_denied"
    ? "You declined access on GitHub, so you are not signed in. Kli8nt asks for the repo scope to read your repositories and report deployments; try again at /auth/github"
    : `GitHub did not sign you in (${error}); try again at /auth/github`;
}

/** Browsers get a page with a "try again" link; API clients get problem+json. */
function refuse(request: FastifyRequest, reply: FastifyReply, status: number, code: string, detail: string) {
  reply.header("cache-control", "no-store");
  if (!(request.headers.accept ?? "").includes("text/html")) {
    return sendProblem(reply, request, status, code, detail);
  }
  return reply.code(status).type("text/html; charset=utf-8").send(signInRefusedPage(code, detail));
}

function notConfigured(request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(
    reply,
    request,
    404,
    "GITHUB_NOT_CONFIGURED",
    "GitHub sign-in is not configured (KLI8NT_GITHUB_CLIENT_ID); use the sign-in link Kli8nt printed at start",
  );
}

/** `GET /auth/github` and its callback: the OAuth web flow with state and PKCE S256 kept server-side. */
export function githubOAuthRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const secure = isSecureUrl(deps.config.publicUrl);
  const cookieOptions = { path: "/auth/github", httpOnly: true, sameSite: "lax" as const, secure };
  return async (app) => {
    app.get(
      "/auth/github",
      { schema: { tags: ["session"], summary: "Sign in with GitHub (or connect it to your account)" } },
      async (request, reply) => {
        const oauth = oauthApp(deps);
        if (!oauth) return notConfigured(request, reply);
        // The UI probes with HEAD whether GitHub sign-in exists: answer without starting a sign-in.
        if (request.method === "HEAD") return reply.code(204).header("cache-control", "no-store").send();
        const session = sessionFrom(request, deps.config.publicUrl);
        const current = session ? await findUserBySession(deps.db, session) : null;
        const authorization = createAuthorizationRequest(oauth, { redirectUri: redirectUri(deps) });
        const binding = randomToken("");
        const bindingHash = hashToken(binding);
        await createPendingSignIn(deps.db, {
          bindingHash,
          state: authorization.state,
          codeVerifierEnc: deps.box.encrypt(authorization.codeVerifier, pkceContext(bindingHash)),
          linkUserId: current?.id ?? null,
          expiresAt: new Date(Date.now() + SIGN_IN_TTL_MS),
        });
        return reply
          .setCookie(SIGN_IN_COOKIE, binding, { ...cookieOptions, maxAge: SIGN_IN_TTL_MS / 1000 })
          .header("cache-control", "no-store")
          .redirect(authorization.url, 302);
      },
    );

    app.get(
      CALLBACK_PATH,
      {
        schema: {
          tags: ["session"],
          summary: "Where GitHub sends the browser back after consent",
          querystring: callbackQuery,
        },
      },
      async (request, reply) => {
        if (!oauthApp(deps)) return notConfigured(request, reply);
        const binding = request.cookies[SIGN_IN_COOKIE];
        reply.clearCookie(SIGN_IN_COOKIE, cookieOptions);
        // Consumed before anything else: whatever happens next, this state can never be used again.
        const pending = await consumeBinding(deps, binding);
        const { code, state, error } = request.query;
        if (error) return refuse(request, reply, 403, "GITHUB_SIGN_IN_DENIED", deniedDetail(error));
        if (!pending || !statesMatch(pending.state, state) || !code) {
          return refuse(request, reply, 400, "GITHUB_STATE_INVALID", STATE_INVALID);
        }
        return finishSignIn(deps, request, reply, pending, code, secure);
      },
    );
  };
}

function consumeBinding(deps: ApiDeps, binding: string | undefined) {
  return binding ? consumePendingSignIn(deps.db, hashToken(binding)) : Promise.resolve(null);
}

async function finishSignIn(
  deps: ApiDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  pending: NonNullable<Awaited<ReturnType<typeof consumePendingSignIn>>>,
  code: string,
  secure: boolean,
) {
  let userId: string;
  try {
    ({ userId } = await completeSignIn({ ...deps, logger: request.log }, pending, code));
  } catch (err) {
    if (isGitHubError(err, "GITHUB_OAUTH_REJECTED")) {
      const detail =
        "GitHub refused this sign-in code (already used or expired); start again at /auth/github";
      return refuse(request, reply, 400, "GITHUB_SIGN_IN_FAILED", detail);
    }
    const mapped = toApiError(err);
    if (!isKli8ntError(mapped)) throw mapped;
    return refuse(request, reply, httpStatusOf(mapped.kind), mapped.code, mapped.message);
  }
  const session = await createSession(deps.db, userId, deps.config.sessionTtlMs);
  request.log.info({ userId }, "Signed in with GitHub");
  // Webhooks that could not be made without a (valid) token can be made now.
  await forgetFailedHooks(deps.db, userId);
  void request.server.githubHooks?.kick();
  return signInAndRedirect(reply, session, { secure, ttlMs: deps.config.sessionTtlMs });
}
