import { createDeployment, getApp, getDeploymentForOwner, listDeployments } from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import {
  appNameParams,
  commonErrors,
  deploymentCreateBody,
  deploymentIdParams,
  deploymentListQuery,
  deploymentView,
} from "../schemas.ts";
import { toDeploymentView } from "../views.ts";

export function deploymentRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db } = deps;
  return async (app) => {
    app.post(
      "/apps/:name/deployments",
      {
        schema: {
          tags: ["deployments"],
          summary: "Deploy the app's branch (or a ref) now; the build is queued",
          params: appNameParams,
          body: deploymentCreateBody,
          response: { 202: deploymentView, ...commonErrors },
        },
      },
      async (request, reply) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const deployment = await createDeployment(db, found, { ref: request.body?.ref, trigger: "api" });
        deps.onOutboxWrite();
        deps.events?.deploymentChanged(deployment.id);
        return reply
          .code(202)
          .header("location", `/api/deployments/${deployment.id}`)
          .send(toDeploymentView(deployment));
      },
    );

    app.get(
      "/apps/:name/deployments",
      {
        schema: {
          tags: ["deployments"],
          summary: "An app's deployments, newest first",
          params: appNameParams,
          querystring: deploymentListQuery,
          response: {
            200: z.object({ items: z.array(deploymentView), nextBefore: z.number().int().nullable() }),
            ...commonErrors,
          },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const page = await listDeployments(db, found.id, request.query);
        return { items: page.items.map(toDeploymentView), nextBefore: page.nextBefore };
      },
    );

    app.get(
      "/deployments/:id",
      {
        schema: {
          tags: ["deployments"],
          summary: "One deployment",
          params: deploymentIdParams,
          response: { 200: deploymentView, ...commonErrors },
        },
      },
      async (request) =>
        toDeploymentView(await getDeploymentForOwner(db, requireUser(request).id, request.params.id)),
    );
  };
}
