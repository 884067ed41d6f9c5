import { getApp, listEnv, type PreviewScope, replaceEnv, type StoredEnvVar } from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors, envPutBody, envView, problemView } from "../schemas.ts";

type PreviewFlag = boolean | "only";
const SCOPE_OF = (flag: PreviewFlag): PreviewScope =>
  flag === "only" ? "only" : flag ? "include" : "exclude";
const FLAG_OF: Readonly<Record<PreviewScope, PreviewFlag>> = { include: true, exclude: false, only: "only" };
const toView = (vars: StoredEnvVar[]) => vars.map((v) => ({ ...v, preview: FLAG_OF[v.preview] }));

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
        return { vars: toView(await listEnv(db, found.id)) };
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
          response: { 200: envView, ...commonErrors, 409: problemView },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        // The add-ons' own variables come back in GET; a client saving the list it read leaves them out.
        const vars = request.body.vars.map((v) => ({ ...v, preview: SCOPE_OF(v.preview) }));
        return { vars: toView(await replaceEnv(db, box, found.id, vars)) };
      },
    );
  };
}
