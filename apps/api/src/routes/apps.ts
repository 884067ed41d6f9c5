import { checkRepositoryUrl, InputError } from "@kli8nt/core";
import {
  assertAppNameFree,
  createApp,
  deleteApp,
  getApp,
  listApps,
  listDeployments,
  updateApp,
} from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { removePreviewsOf } from "../github/previews/preview-logs.ts";
import { requireUser } from "../plugins/auth.ts";
import { resolveDefaultBranch } from "../repository/default-branch.ts";
import {
  appCreateBody,
  appNameParams,
  appPatchBody,
  appView,
  commonErrors,
  listQuery,
  problemView,
} from "../schemas.ts";
import { toAppView } from "../views.ts";
import { formationViewOf } from "./formation.ts";
import { applyPreviewSettings } from "./previews.ts";

function assertRepositoryUrl(url: string | undefined, allowLocal: boolean): void {
  if (url === undefined) return;
  const problem = checkRepositoryUrl(url, { allowLocal });
  if (problem) {
    throw new InputError("REPOSITORY_URL_INVALID", problem, {
      issues: [{ path: "body.repository.url", message: problem }],
    });
  }
}

export function appRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db, config } = deps;
  const view = toAppViewWith(config.appUrlTemplate);

  return async (app) => {
    app.post(
      "/apps",
      {
        schema: {
          tags: ["apps"],
          summary: "Create an app from a git repository",
          body: appCreateBody,
          response: { 201: appView, ...commonErrors, 409: problemView },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        const { name, repository, port, buildSettings } = request.body;
        assertRepositoryUrl(repository.url, config.allowLocalRepositories);
        // A taken name is said before the repository is asked for its default branch (up to 30 s).
        if (repository.branch === undefined) await assertAppNameFree(db, name);
        const created = await createApp(db, user.id, {
          name,
          repository: {
            url: repository.url,
            // No branch: the repository's own default, resolved now and stored (issue 26).
            branch: repository.branch ?? (await resolveDefaultBranch(deps, user.id, repository.url)),
            rootDir: repository.rootDir ?? ".",
          },
          port: port ?? null,
          buildSettings,
        });
        deps.events?.appChanged(created.id);
        return reply.code(201).header("location", `/api/apps/${created.name}`).send(view(created, null));
      },
    );

    app.get(
      "/apps",
      {
        schema: {
          tags: ["apps"],
          summary: "List your apps, a page at a time, by name",
          querystring: listQuery,
          response: {
            200: z.object({ items: z.array(appView), nextCursor: z.string().nullable() }),
            ...commonErrors,
          },
        },
      },
      async (request) => {
        const user = requireUser(request);
        const page = await listApps(db, user.id, { limit: request.query.limit, after: request.query.cursor });
        return { items: page.items.map((s) => view(s.app, s.latestDeployment)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      "/apps/:name",
      {
        schema: {
          tags: ["apps"],
          summary: "One app",
          params: appNameParams,
          response: { 200: appView, ...commonErrors },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const latest = await listDeployments(db, found.id, { limit: 1 });
        const { processes } = await formationViewOf(db, found.id, config.formation);
        return { ...view(found, latest.items[0] ?? null), formation: processes };
      },
    );

    app.patch(
      "/apps/:name",
      {
        schema: {
          tags: ["apps"],
          summary: "Change an app's repository settings, port, build settings or pull request previews",
          params: appNameParams,
          body: appPatchBody,
          response: { 200: appView, ...commonErrors },
        },
      },
      async (request) => {
        const user = requireUser(request);
        assertRepositoryUrl(request.body.repository?.url, config.allowLocalRepositories);
        const updated = await updateApp(db, user.id, request.params.name, request.body);
        if (request.body.previews) await applyPreviewSettings(db, updated.id, request.body.previews);
        const latest = await listDeployments(db, updated.id, { limit: 1 });
        deps.events?.appChanged(updated.id);
        return view(updated, latest.items[0] ?? null);
      },
    );

    app.delete(
      "/apps/:name",
      {
        schema: {
          tags: ["apps"],
          summary: "Delete an app with its deployments and variables",
          params: appNameParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        // Its previews go with it: their databases and logs are not the row's cascade's to remove.
        await removePreviewsOf(deps, (await getApp(db, user.id, request.params.name)).id);
        const deleted = await deleteApp(db, user.id, request.params.name);
        deps.events?.appDeleted(deleted.ownerId, deleted.name);
        // Its logs go with it; the deploy controller's resync removes its instances, route and images.
        await deps.logs?.removeApp?.(deleted.id);
        // Its custom domains went with the row: the router forgets them and their certificates now.
        await deps.domains?.changed();
        return reply.code(204).send(null);
      },
    );
  };
}

function toAppViewWith(template: string) {
  return (app: Parameters<typeof toAppView>[0], latest: Parameters<typeof toAppView>[1]) =>
    toAppView(app, latest, template);
}
