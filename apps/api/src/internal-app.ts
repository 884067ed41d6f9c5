import Fastify, { type FastifyInstance } from "fastify";
import { validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { BuildOptions } from "./app.ts";
import type { ApiDeps } from "./deps.ts";
import { installProblemJson } from "./plugins/problem-json.ts";
import { internalBuildRoutes } from "./routes/internal-builds.ts";

/**
 * The api's internal listener (ADR 0124): only `/internal/v1/…`, on `KLI8NT_INTERNAL_PORT`. The chart's
 * Service exposes that port inside the cluster, and its Ingress routes only the public one, so the routes
 * that hand out clone tokens cannot be reached from outside at all, whatever the token.
 */
export async function buildInternalApi(deps: ApiDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Its requests have no body to speak of.
    bodyLimit: 16 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installProblemJson(app);
  app.removeContentTypeParser("text/plain");
  await app.register(internalBuildRoutes(deps));
  return app;
}
