import { getApp, getDeploymentForOwner } from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors, deploymentView, problemView } from "../schemas.ts";
import { toDeploymentView } from "../views.ts";
import { createRollback } from "./rollback.ts";

const rollbackBody = z.strictObject({ deploymentId: z.string().min(1).max(64) });

/** POST /apps/:name/rollback: deploy an earlier live release again, reusing its image (no build). */
export function rollbackRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      "/apps/:name/rollback",
      {
        schema: {
          tags: ["deployments"],
          summary: "Roll back to an earlier live release; its image is deployed again without a build",
          params: appNameParams,
          body: rollbackBody,
          response: { 202: deploymentView, 409: problemView, ...commonErrors },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        const found = await getApp(deps.db, user.id, request.params.name);
        const target = await getDeploymentForOwner(deps.db, user.id, request.body.deploymentId);
        const deployment = await createRollback(deps.db, found, target);
        deps.onOutboxWrite();
        deps.events?.deploymentChanged(deployment.id);
        return reply
          .code(202)
          .header("location", `/api/deployments/${deployment.id}`)
          .send(toDeploymentView(deployment));
      },
    );
  };
}
