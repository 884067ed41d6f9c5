import { NotFoundError } from "@kli8nt/core";
import {
  type Db,
  DEFAULT_PREVIEW_LOG_RETENTION_DAYS,
  findPreview,
  getApp,
  getPreviewSettings,
  listDeployments,
  listPreviews,
  type PreviewSettings,
  setPreviewSettings,
} from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { teardownPreview } from "../github/previews/preview-lifecycle.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors } from "../schemas.ts";
import { appUrl } from "../views.ts";
import { previewListView, previewParams, type previewSettingsPatch } from "./preview-schemas.ts";

/** Merges a `previews` patch into the stored settings (absent fields keep theirs). */
export async function applyPreviewSettings(
  db: Db,
  appId: string,
  patch: z.infer<typeof previewSettingsPatch>,
): Promise<PreviewSettings> {
  const current = await getPreviewSettings(db, appId);
  const next: PreviewSettings = {
    mode: patch.mode ?? current.mode,
    label: patch.label ?? current.label,
    max: patch.max ?? current.max,
    allowForks: patch.allowForks ?? current.allowForks,
    env: patch.env ?? current.env,
    database: patch.database ?? current.database ?? "empty",
    logRetentionDays:
      patch.logRetentionDays ?? current.logRetentionDays ?? DEFAULT_PREVIEW_LOG_RETENTION_DAYS,
  };
  await setPreviewSettings(db, appId, next);
  return next;
}

/** Pull request previews of an app (ADR 0200): list them, tear one down now. */
export function previewRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db, config } = deps;
  return async (app) => {
    app.get(
      "/apps/:name/previews",
      {
        schema: {
          tags: ["previews"],
          summary: "An app's preview settings and its open pull request previews, oldest first",
          params: appNameParams,
          response: { 200: previewListView, ...commonErrors },
        },
      },
      async (request) => {
        const parent = await getApp(db, requireUser(request).id, request.params.name);
        const [settings, previews] = await Promise.all([
          getPreviewSettings(db, parent.id),
          listPreviews(db, parent.id),
        ]);
        const items = await Promise.all(
          previews.map(async (p) => {
            const latest = (await listDeployments(db, p.app.id, { limit: 1 })).items[0];
            return {
              number: p.prNumber,
              app: p.app.name,
              state: latest?.state ?? "queued",
              url: latest?.url ?? appUrl(config.appUrlTemplate, p.app.name),
              pullRequest: { number: p.prNumber, title: p.title, url: p.prUrl },
              head: { repo: p.headRepo, ref: p.headRef, sha: p.headSha },
              fork: p.fork,
              createdAt: p.createdAt.toISOString(),
            };
          }),
        );
        const { closed: _state, ...own } = settings;
        const view = {
          ...own,
          database: own.database ?? "empty",
          logRetentionDays: own.logRetentionDays ?? DEFAULT_PREVIEW_LOG_RETENTION_DAYS,
        };
        const days = view.logRetentionDays;
        const closedItems = (settings.closed ?? []).map((c) => ({
          number: c.number,
          app: c.app,
          title: c.title,
          closedAt: c.closedAt,
          logsUntil: new Date(Date.parse(c.closedAt) + days * 86_400_000).toISOString(),
        }));
        return { settings: view, items, closed: closedItems };
      },
    );

    app.delete(
      "/apps/:name/previews/:number",
      {
        schema: {
          tags: ["previews"],
          summary: "Tear a preview down now (a new push to its pull request brings it back)",
          params: previewParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        const parent = await getApp(db, user.id, request.params.name);
        const preview = await findPreview(db, parent.id, request.params.number);
        if (!preview) {
          throw new NotFoundError(
            "PREVIEW_NOT_FOUND",
            `"${parent.name}" has no preview of #${request.params.number}`,
            {
              details: { name: parent.name, number: request.params.number },
            },
          );
        }
        const reason = `Torn down by ${user.login} in Kli8nt. Push a commit to bring it back.`;
        await teardownPreview({ ...deps, logger: request.log }, parent, preview, reason);
        return reply.code(204).send(null);
      },
    );
  };
}
