import { NotFoundError } from "@kli8nt/core";
import { closedPreviews, findPreview, getApp } from "@kli8nt/db";
import type { LogStore } from "@kli8nt/logstore";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { commonErrors } from "../schemas.ts";
import { capPage, logsQuery, recordView, toView, withoutUndefined } from "./logs.ts";
import { previewParams } from "./preview-schemas.ts";

/**
 * A pull request preview's logs by number (ADR 0203): the open preview's, or a closed one's while its
 * retention keeps them; the page is the one `GET /api/apps/:name/logs` answers.
 */
export function previewLogRoutes(deps: ApiDeps & { readonly logs: LogStore }): FastifyPluginAsyncZod {
  const { db, logs } = deps;
  return async (app) => {
    app.get(
      "/apps/:name/previews/:number/logs",
      {
        schema: {
          tags: ["previews"],
          summary: "A preview's build and runtime log lines, also for a while after it was torn down",
          params: previewParams,
          querystring: logsQuery,
          response: {
            200: z.object({
              records: z.array(recordView),
              next: z.number().int(),
              end: z.number().int(),
              truncated: z.literal(true).optional(),
            }),
            ...commonErrors,
          },
        },
      },
      async (request) => {
        const parent = await getApp(db, requireUser(request).id, request.params.name);
        const { number } = request.params;
        const open = await findPreview(db, parent.id, number);
        const appId =
          open?.app.id ?? (await closedPreviews(db, parent.id)).find((c) => c.number === number)?.appId;
        if (!appId) {
          throw new NotFoundError(
            "PREVIEW_LOGS_NOT_FOUND",
            `"${parent.name}" has no preview of #${number}, open or with logs still kept`,
            { details: { name: parent.name, number } },
          );
        }
        const result = await logs.read(appId, withoutUndefined(request.query));
        return capPage(result.records.map(toView), result.next, result.end);
      },
    );
  };
}
