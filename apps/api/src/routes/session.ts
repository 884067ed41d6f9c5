import { UnauthenticatedError } from "@kli8nt/core";
import { consumeSignInLink, createSession, deleteSession } from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { isSecureUrl, requireUser, sessionCookieName, signInAndRedirect } from "../plugins/auth.ts";
import { commonErrors, problemView } from "../schemas.ts";

const userView = z.object({
  id: z.string(),
  login: z.string(),
  name: z.string().nullable(),
  isAdmin: z.boolean(),
});

/** Public: a one-time sign-in link (printed by `npm start`) becomes a session cookie. */
export function signInLinkRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const secure = isSecureUrl(deps.config.publicUrl);
  return async (app) => {
    app.get(
      "/auth/link/:token",
      {
        schema: {
          tags: ["session"],
          summary: "Sign in with a one-time link",
          params: z.strictObject({ token: z.string().min(16).max(128) }),
          response: { 302: z.null(), 401: problemView },
        },
      },
      async (request, reply) => {
        const userId = await consumeSignInLink(deps.db, request.params.token);
        if (!userId) {
          const detail =
            "This sign-in link was already used or has expired; restart Kli8nt (`npm start`) to print a new one";
          // A browser lands on the sign-in page, which explains; scripts get the problem.
          if (request.headers.accept?.includes("text/html")) {
            const query = new URLSearchParams({ error: "SIGN_IN_LINK_INVALID", detail });
            return reply.header("cache-control", "no-store").redirect(`/sign-in?${query}`, 302);
          }
          throw new UnauthenticatedError("SIGN_IN_LINK_INVALID", detail);
        }
        const session = await createSession(deps.db, userId, deps.config.sessionTtlMs);
        return signInAndRedirect(reply, session, { secure, ttlMs: deps.config.sessionTtlMs });
      },
    );
  };
}

/** Authenticated: who am I, and sign out. */
export function sessionRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/me",
      {
        schema: {
          tags: ["session"],
          summary: "The signed-in user",
          response: { 200: userView, ...commonErrors },
        },
      },
      async (request) => {
        const { id, login, name, isAdmin } = requireUser(request);
        return { id, login, name, isAdmin };
      },
    );

    app.post(
      "/auth/logout",
      { schema: { tags: ["session"], summary: "End the browser session", response: { 204: z.null() } } },
      async (request, reply) => {
        const session = request.sessionId;
        if (session) {
          await deleteSession(deps.db, session);
          deps.events?.sessionEnded(session);
        }
        return reply
          .clearCookie(sessionCookieName(isSecureUrl(deps.config.publicUrl)), {
            path: "/",
            secure: isSecureUrl(deps.config.publicUrl),
          })
          .code(204)
          .send(null);
      },
    );
  };
}
