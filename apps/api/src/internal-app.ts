import type { FastifyInstance } from "fastify";
import type { ApiDeps } from "./deps.ts";
import { apiFastify, type BuildOptions } from "./fastify-base.ts";
import { internalBuildRoutes } from "./routes/internal-builds.ts";

/**
 * The api's internal listener (ADR 0124): only `/internal/v1/…`, on `KLI8NT_INTERNAL_PORT`. The chart's
 * Service exposes that port inside the cluster, and its Ingress routes only the public one, so the routes
 * that hand out clone tokens cannot be reached from outside at all, whatever the token.
 */
export async function buildInternalApi(deps: ApiDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  // Its requests have no body to speak of; the build controller calls it directly, through no proxy.
  const app = apiFastify(options, { bodyLimit: 16 * 1024 });
  await app.register(internalBuildRoutes(deps));
  return app;
}
