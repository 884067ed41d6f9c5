import Fastify, { type FastifyServerOptions } from "fastify";
import { validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { onClientError, onFrameworkError } from "./plugins/framework-errors.ts";
import { installJsonBody } from "./plugins/json-body.ts";
import { installProblemJson } from "./plugins/problem-json.ts";
import { installRejectNul } from "./plugins/reject-nul.ts";

export interface BuildOptions {
  readonly logger?: FastifyServerOptions["loggerInstance"];
  /** An already listening server to answer on (see boot-server.ts); Fastify makes its own otherwise. */
  readonly serverFactory?: FastifyServerOptions["serverFactory"];
}

/**
 * A Fastify instance with the api's conventions, for the public app (app.ts) and the internal listener
 * (internal-app.ts): zod validation, plain JSON replies, problem+json errors, JSON bodies only.
 */
export function apiFastify(
  options: BuildOptions,
  limits: { readonly bodyLimit: number; readonly trustProxy?: string },
) {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: limits.bodyLimit,
    ...(limits.trustProxy ? { trustProxy: limits.trustProxy } : {}),
    routerOptions: { ignoreTrailingSlash: true },
    ajv: { customOptions: { removeAdditional: false } },
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    // Errors raised before Fastify's error handler exists for a request: problem+json too (ADR 0004).
    frameworkErrors: onFrameworkError,
    clientErrorHandler: onClientError,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API; replies are built from typed views, so plain JSON is enough and fast.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installProblemJson(app);
  installRejectNul(app);
  installJsonBody(app);
  // JSON only: a text/plain body must be a 415, not a string that reaches validation.
  app.removeContentTypeParser("text/plain");
  return app;
}
