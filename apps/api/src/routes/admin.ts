import { NotAllowedError } from "@kli8nt/core";
import { approveSignIn, listPendingSignIns } from "@kli8nt/db";
import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { commonErrors, problemView } from "../schemas.ts";

const loginParams = z.strictObject({
  login: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "login must be a GitHub login (letters, digits, hyphens)"),
});

const approvalView = z.object({
  login: z.string(),
  githubId: z.number().nullable(),
  status: z.enum(["pending", "approved"]),
  requestedAt: z.string(),
  decidedAt: z.string().nullable(),
});

function requireAdmin(request: FastifyRequest) {
  const user = requireUser(request);
  if (!user.isAdmin)
    throw new NotAllowedError("ADMIN_REQUIRED", "Only an administrator of this Kli8nt can do this");
  return user;
}

const toView = (row: Awaited<ReturnType<typeof listPendingSignIns>>[number]) => ({
  login: row.login,
  githubId: row.githubId,
  status: row.status,
  requestedAt: row.requestedAt.toISOString(),
  decidedAt: row.decidedAt?.toISOString() ?? null,
});

/** The administrator's side of the sign-in allow-list (ADR 0133): who is waiting, and letting them in. */
export function adminRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/admin/sign-ins",
      {
        schema: {
          tags: ["admin"],
          summary: "GitHub sign-ins waiting for an administrator's approval, oldest first",
          response: { 200: z.object({ items: z.array(approvalView) }), ...commonErrors, 403: problemView },
        },
      },
      async (request) => {
        requireAdmin(request);
        return { items: (await listPendingSignIns(deps.db)).map(toView) };
      },
    );

    app.post(
      "/admin/users/:login/approve",
      {
        schema: {
          tags: ["admin"],
          summary: "Let a GitHub login sign in (it may be waiting already, or not have tried yet)",
          params: loginParams,
          response: { 200: approvalView, ...commonErrors, 403: problemView },
        },
      },
      async (request) => {
        const admin = requireAdmin(request);
        const row = await approveSignIn(deps.db, request.params.login, admin.id);
        request.log.info({ login: row.login, by: admin.login }, "Approved GitHub sign-in");
        return toView(row);
      },
    );
  };
}
