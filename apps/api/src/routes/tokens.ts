import { ConflictError, NotFoundError } from "@kli8nt/core";
import { countApiTokens, createApiToken, type Db, listApiTokens, revokeApiToken } from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { commonErrors, problemView } from "../schemas.ts";
import {
  tokenCreateBody,
  tokenCreatedView,
  tokenIdParams,
  tokenListView,
  tokenToView,
} from "./token-schemas.ts";

/** Live tokens a user may hold: enough for every CI system and laptop, few enough to review. */
export const MAX_TOKENS_PER_USER = 50;
const DAY_MS = 86_400_000;

/** Creates a token for the user, refusing past the cap; the only place a token's value is returned. */
export async function issueApiToken(db: Db, userId: string, name: string, expiresInDays: number | null) {
  if ((await countApiTokens(db, userId)) >= MAX_TOKENS_PER_USER) {
    throw new ConflictError(
      "TOKEN_LIMIT",
      `You already have ${MAX_TOKENS_PER_USER} API tokens; revoke one you no longer use first`,
    );
  }
  const expiresAt = expiresInDays === null ? null : new Date(Date.now() + expiresInDays * DAY_MS);
  const { token, record } = await createApiToken(db, userId, name, expiresAt);
  return { ...tokenToView(record), token };
}

/**
 * The signed-in user's API tokens (ADR 0165). Stored as SHA-256 only (ADR 0006), so the value is shown once,
 * at creation. Cookie-authenticated writes pass the api scope's Origin check like every other write.
 */
export function tokenRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db } = deps;
  return async (app) => {
    app.get(
      "/tokens",
      {
        schema: {
          tags: ["tokens"],
          summary: "Your API tokens (never their values)",
          response: { 200: tokenListView, ...commonErrors },
        },
      },
      async (request) => ({ items: (await listApiTokens(db, requireUser(request).id)).map(tokenToView) }),
    );

    app.post(
      "/tokens",
      {
        schema: {
          tags: ["tokens"],
          summary: "Create an API token; its value is in this answer only",
          body: tokenCreateBody,
          response: { 201: tokenCreatedView, ...commonErrors, 409: problemView },
        },
      },
      async (request, reply) => {
        const { name, expiresInDays } = request.body;
        const created = await issueApiToken(db, requireUser(request).id, name, expiresInDays);
        return reply.code(201).header("cache-control", "no-store").send(created);
      },
    );

    app.delete(
      "/tokens/:id",
      {
        schema: {
          tags: ["tokens"],
          summary: "Revoke one of your API tokens",
          params: tokenIdParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (request, reply) => {
        // Someone else's token answers exactly like an unknown one, so ids cannot be probed.
        if (!(await revokeApiToken(db, requireUser(request).id, request.params.id))) {
          throw new NotFoundError("TOKEN_NOT_FOUND", `No token ${request.params.id}`);
        }
        return reply.code(204).send(null);
      },
    );
  };
}
