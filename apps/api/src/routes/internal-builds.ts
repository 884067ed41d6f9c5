import { createHash, timingSafeEqual } from "node:crypto";
import {
  buildSettingsSchema,
  ConflictError,
  type DeploymentState,
  NotFoundError,
  UnauthenticatedError,
} from "@kli8nt/core";
import { findAppById, findDeploymentById } from "@kli8nt/db";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { buildCloneToken } from "./build-clone-token.ts";

/** Where the build controller (Kubernetes mode) asks for what a build needs that the bus must not carry. */
export const BUILD_SOURCE_PATH = "/internal/v1/builds/:deploymentId/source";

/** A BUILD message for a deployment in another state is a redelivery of finished work: nothing to build. */
const BUILDABLE: ReadonlySet<DeploymentState> = new Set(["queued", "building"]);

export const buildSourceView = z.object({
  deploymentId: z.string(),
  appId: z.string(),
  /** Whose per-user build limit the build counts against. */
  ownerId: z.string(),
  /** The app's port override; null: the port the build plan detects. */
  port: z.number().int().nullable(),
  repositoryUrl: z.string(),
  /** The owner's GitHub token for the clone; null for a public, non-GitHub or local repository. */
  cloneToken: z.string().nullable(),
  /** The app's settings over the build plan (its release command), for the cluster's build controller. */
  buildSettings: buildSettingsSchema,
});

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Only the internal token opens this scope: no session cookie, no API token, not KLI8NT_ADMIN_TOKEN.
 * Both sides are hashed first, so the comparison is constant-time whatever the length sent.
 */
function installInternalAuth(scope: FastifyInstance, token: string): void {
  const expected = digest(token);
  scope.addHook("onRequest", async (request: FastifyRequest) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      throw new UnauthenticatedError(
        "INTERNAL_TOKEN_INVALID",
        "Send KLI8NT_INTERNAL_TOKEN as a Bearer token; this route serves the build controller only",
      );
    }
  });
}

/**
 * `POST /internal/v1/builds/{deploymentId}/source` (ADR 0118). POST: every answer is fresh (the token may be
 * refreshed on the way) and must never be cached. The answer is never logged: Fastify logs the request line
 * only, and nothing here logs the token.
 */
export function internalBuildRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const token = deps.config.internalToken;
  return async (app) => {
    if (!token) return;
    installInternalAuth(app, token);
    app.post(
      BUILD_SOURCE_PATH,
      {
        schema: {
          hide: true,
          params: z.object({ deploymentId: z.string().min(1).max(64) }),
          response: { 200: buildSourceView },
        },
      },
      async (request, reply) => {
        const { deploymentId } = request.params;
        const deployment = await findDeploymentById(deps.db, deploymentId);
        const found = deployment ? await findAppById(deps.db, deployment.appId) : null;
        if (!deployment || !found) {
          throw new NotFoundError("DEPLOYMENT_NOT_FOUND", `No deployment ${deploymentId}`);
        }
        if (!BUILDABLE.has(deployment.state)) {
          throw new ConflictError(
            "DEPLOYMENT_NOT_BUILDING",
            `Deployment ${deploymentId} is ${deployment.state}, not queued or building: nothing to build`,
          );
        }
        const cloneToken = await buildCloneToken({ ...deps, logger: request.log }, found);
        return reply.header("cache-control", "no-store").send({
          deploymentId,
          appId: found.id,
          ownerId: found.ownerId,
          port: found.port,
          repositoryUrl: found.repository.url,
          cloneToken,
          buildSettings: found.buildSettings,
        });
      },
    );
  };
}
