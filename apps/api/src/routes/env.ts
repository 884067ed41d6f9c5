import { getApp, listEnv, replaceEnv } from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors, envPutBody, envView } from "../schemas.ts";

/** Secret values are write-only: they are encrypted on the way in and come back as null. */
export function envRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db, box } = deps;
  return async (app) => {
    app.get(
      "/apps/:name/env",
      {
        schema: {
          tags: ["env"],
          summary: "An app's environment variables (secret values masked)",
          params: appNameParams,
          response: { 200: envView, ...commonErrors },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        return { vars: await listEnv(db, found.id) };
      },
    );

    app.put(
      "/apps/:name/env",
      {
        bodyLimit: 4 * 1024 * 1024,
        schema: {
          tags: ["env"],
          summary: "Replace an app's environment variables",
          params: appNameParams,
          body: envPutBody,
          response: { 200: envView, ...commonErrors },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        return { vars: await replaceEnv(db, box, found.id, request.body.vars) };
      },
    );
  };
}
