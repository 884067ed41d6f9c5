import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import websocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform } from "fastify-type-provider-zod";
import type { ApiDeps } from "./deps.ts";
import { EventHub } from "./events/event-hub.ts";
import { eventRoutes } from "./events/event-routes.ts";
import { apiFastify, type BuildOptions } from "./fastify-base.ts";
import { installGitHubAppSync } from "./github/app-events.ts";
import { githubOAuthRoutes } from "./github/oauth-routes.ts";
import { installPreviewLogRetention } from "./github/previews/preview-logs.ts";
import { githubRepoRoutes } from "./github/repo-routes.ts";
import { githubWebhookRoutes } from "./github/webhook-routes.ts";
import { installAppQuota } from "./limits/app-quota.ts";
import { installRateLimit } from "./limits/rate-limit.ts";
import { installSocketCap } from "./limits/socket-cap.ts";
import { installAuth, isSecureUrl, sessionCookieName } from "./plugins/auth.ts";
import { installOriginCheck } from "./plugins/origin-check.ts";
import { installSecurityHeaders } from "./plugins/security-headers.ts";
import { installUpgradeGuard } from "./plugins/upgrade-guard.ts";
import { adminRoutes } from "./routes/admin.ts";
import { appRoutes } from "./routes/apps.ts";
import { deploymentRoutes } from "./routes/deployments.ts";
import { envRoutes } from "./routes/env.ts";
import { healthRoutes } from "./routes/health.ts";
import { internalBuildRoutes } from "./routes/internal-builds.ts";
import { logRoutes } from "./routes/logs.ts";
import { previewLogRoutes } from "./routes/preview-logs.ts";
import { sessionRoutes, signInLinkRoutes } from "./routes/session.ts";

export type { BuildOptions };

/** Builds the api without listening (tests inject requests; main.ts listens). */
export async function buildApi(given: ApiDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = apiFastify(options, { bodyLimit: 64 * 1024, trustProxy: "127.0.0.1" });

  const events =
    given.events ??
    new EventHub({
      db: given.db,
      appUrlTemplate: given.config.appUrlTemplate,
      onError: (err) => app.log.warn({ err }, "Event delivery failed; browsers catch up on resync"),
    });
  const deps: ApiDeps = { ...given, events };

  await installSecurityHeaders(app, { secure: isSecureUrl(deps.config.publicUrl) });
  await app.register(cookie);
  await installRateLimit(app, deps.config);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  installUpgradeGuard(app, "/api/events and /api/apps/:name/logs/stream");
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Kli8nt API", version: "1" },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer" },
          session: {
            type: "apiKey",
            in: "cookie",
            name: sessionCookieName(isSecureUrl(deps.config.publicUrl)),
          },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });

  await app.register(healthRoutes(deps));
  await app.register(signInLinkRoutes(deps));
  await app.register((await import("./routes/cli-login.ts")).cliLoginRoutes(deps));
  await app.register(githubOAuthRoutes(deps));
  await app.register(githubWebhookRoutes(deps));
  // Its own scope and token (ADR 0118): the /api auth below never applies, and no user credential opens it.
  // With an internal port it is served there instead, out of the Ingress's reach (ADR 0124).
  if (deps.config.internalPort === undefined) await app.register(internalBuildRoutes(deps));
  installGitHubAppSync(app, deps);
  installPreviewLogRetention(app, deps, deps.previewLogRetention);
  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  await app.register(
    async (api) => {
      installOriginCheck(api, deps.config);
      installAuth(api, {
        db: deps.db,
        adminToken: deps.config.adminToken,
        publicUrl: deps.config.publicUrl,
      });
      installAppQuota(api, { db: deps.db, appsPerUser: deps.config.limits.appsPerUser });
      installSocketCap(api, {
        server: app.websocketServer,
        socketsPerUser: deps.config.limits.socketsPerUser,
      });
      await api.register(sessionRoutes(deps));
      await api.register(adminRoutes(deps));
      await api.register(appRoutes(deps));
      await api.register(envRoutes(deps));
      await api.register((await import("./routes/addons.ts")).addonRoutes(deps));
      await api.register((await import("./routes/domains.ts")).domainRoutes(deps));
      await api.register((await import("./routes/formation.ts")).formationRoutes(deps));
      await api.register((await import("./routes/lifecycle.ts")).lifecycleRoutes(deps));
      await api.register((await import("./routes/cron.ts")).cronRoutes(deps));
      await api.register((await import("./routes/previews.ts")).previewRoutes(deps));
      await api.register(deploymentRoutes(deps));
      await api.register(eventRoutes({ db: deps.db, events }));
      if (deps.logs) await api.register(logRoutes({ ...deps, logs: deps.logs }));
      if (deps.logs) await api.register(previewLogRoutes({ ...deps, logs: deps.logs }));
      await api.register(githubRepoRoutes(deps));
      await api.register((await import("./inform/rollback-routes.ts")).rollbackRoutes(deps));
      await api.register((await import("./routes/plan.ts")).planRoutes(deps));
      await api.register((await import("./routes/tokens.ts")).tokenRoutes(deps));
      await api.register((await import("./routes/metrics.ts")).metricsRoutes(deps));
      await api.register((await import("./routes/notifications.ts")).notificationRoutes(deps));
    },
    { prefix: "/api" },
  );
  // Prometheus scrapes with the admin token, not a user's session (ADR 0185).
  await app.register((await import("./routes/platform-metrics.ts")).platformMetricsRoutes(deps));
  await app.register((await import("./routes/web.ts")).webRoutes());
  return app;
}
