import { UnauthenticatedError } from "@kli8nt/core";
import { findUserBySession } from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { sessionFrom } from "../plugins/auth.ts";
import { installOriginCheck } from "../plugins/origin-check.ts";
import { cliLoginConfirmPage, cliLoginSignInPage } from "./cli-login-page.ts";
import { DEFAULT_TOKEN_DAYS } from "./token-schemas.ts";
import { issueApiToken } from "./tokens.ts";

// The port is all the CLI chooses: the redirect host is always 127.0.0.1, so no other target can be named.
const cliLoginParams = z.object({
  port: z.coerce.number().int().min(1024).max(65535),
  state: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, "state is 16-128 URL-safe characters"),
  host: z
    .string()
    .max(40)
    .regex(/^[A-Za-z0-9._-]*$/, "host is a host name")
    .default(""),
});

/**
 * Browser half of `kli8nt login` without a token (ADR 0165), as `gh auth login` does: the CLI listens on
 * 127.0.0.1:<port> and opens /auth/cli; the signed-in user confirms with a POST (same-origin, session
 * cookie, Origin-checked) and the api redirects the new token to the loopback listener with the CLI's state.
 */
export function cliLoginRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db, config } = deps;
  const userOf = async (request: Parameters<typeof sessionFrom>[0]) => {
    const session = sessionFrom(request, config.publicUrl);
    return session ? findUserBySession(db, session) : null;
  };
  return async (app) => {
    installOriginCheck(app, config);
    // Only this scope reads HTML forms; every /api write stays JSON-only (ADR 0006).
    app.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string" },
      (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      },
    );

    app.get("/auth/cli", { schema: { hide: true, querystring: cliLoginParams } }, async (request, reply) => {
      const user = await userOf(request);
      reply.header("cache-control", "no-store").type("text/html; charset=utf-8");
      if (!user) return reply.send(cliLoginSignInPage(request.url));
      const { port, state, host } = request.query;
      return reply.send(
        cliLoginConfirmPage({ login: user.login, port, state, host: host || "this computer" }),
      );
    });

    app.post("/auth/cli", { schema: { hide: true, body: cliLoginParams } }, async (request, reply) => {
      const user = await userOf(request);
      if (!user)
        throw new UnauthenticatedError("UNAUTHENTICATED", "Sign in first, then approve the CLI again");
      const { port, state, host } = request.body;
      const name = `cli on ${host || "unknown host"}`;
      const { token } = await issueApiToken(db, user.id, name, DEFAULT_TOKEN_DAYS);
      const target = new URL(`http://127.0.0.1:${port}/callback`);
      target.searchParams.set("state", state);
      target.searchParams.set("token", token);
      return reply
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .redirect(target.href, 303);
    });
  };
}
