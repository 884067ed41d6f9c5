import { getDeploymentForOwner } from "@kli8nt/db";
import type { FastifyInstance } from "fastify";
import type { ApiDeps } from "../deps.ts";
import { syncGitHubDeploymentStatus } from "./deployment-status.ts";
import { createHookReconciler, type HookReconciler } from "./hook-sync.ts";
import { createMissedPushCheck } from "./missed-push.ts";

const RECONCILE_EVERY_MS = 5 * 60_000;

declare module "fastify" {
  interface FastifyInstance {
    githubHooks: HookReconciler;
  }
}

/** Routes whose success changes which repositories need a webhook. */
const APP_CHANGES = new Set(["POST /api/apps", "PATCH /api/apps/:name", "DELETE /api/apps/:name"]);
const DEPLOY_NOW = "POST /api/apps/:name/deployments";

/**
 * Keeps GitHub in step with the apps without touching their routes: after an app is created, moved to
 * another repository or deleted, the webhook reconciler runs (and every five minutes anyway, which also
 * repairs a pass that failed, and looks for pushes whose webhook never came); after "deploy now", the GitHub Deployment is created. Call before the
 * /api routes are registered, on the root instance, so the hooks cover them.
 */
export function installGitHubAppSync(app: FastifyInstance, deps: ApiDeps): void {
  const reconciler = createHookReconciler({ ...deps, logger: app.log });
  const missedPushes = createMissedPushCheck({ ...deps, logger: app.log });
  let checking: Promise<unknown> = Promise.resolve();
  app.decorate("githubHooks", reconciler);
  app.addHook("onResponse", async (request, reply) => {
    const route = `${request.method} ${request.routeOptions.url ?? ""}`;
    if (APP_CHANGES.has(route) && reply.statusCode < 300) void reconciler.kick();
    if (route === DEPLOY_NOW && reply.statusCode === 202 && request.user) {
      const id =
        String(reply.getHeader("location") ?? "")
          .split("/")
          .pop() ?? "";
      const deployment = await getDeploymentForOwner(deps.db, request.user.id, id).catch(() => null);
      if (deployment) void syncGitHubDeploymentStatus({ ...deps, logger: request.log }, deployment);
    }
  });
  let timer: NodeJS.Timeout | undefined;
  app.addHook("onReady", async () => {
    if (!deps.config.github.webhookSecret) return;
    timer = setInterval(() => {
      void reconciler.kick();
      checking = checking.then(() => missedPushes.run());
    }, RECONCILE_EVERY_MS);
    timer.unref();
    void reconciler.kick();
  });
  app.addHook("onClose", async () => {
    clearInterval(timer);
    await Promise.all([reconciler.idle(), checking]);
  });
}
