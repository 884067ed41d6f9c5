import { sql } from "drizzle-orm";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { problemView } from "../schemas.ts";

export function healthRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/healthz",
      {
        schema: {
          tags: ["health"],
          summary: "Liveness",
          response: { 200: z.object({ status: z.literal("ok") }) },
        },
      },
      async () => ({ status: "ok" as const }),
    );

    app.get(
      "/readyz",
      {
        schema: {
          tags: ["health"],
          summary: "Readiness: the database answers",
          response: { 200: z.object({ status: z.literal("ready") }), 503: problemView },
        },
      },
      async () => {
        await deps.db.execute(sql`select 1`);
        return { status: "ready" as const };
      },
    );
  };
}
