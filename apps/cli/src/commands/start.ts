import { join } from "node:path";
import {
  cloneCredentials,
  countReconcileError,
  createAddonService,
  createLogger,
  failDeadLettered,
  loadAddonsConfig,
  loadConfig,
  observeLogLag,
  podmanServerOf,
  type RunningApi,
  resumeInFlight,
  startApi,
  startInformConsumer,
} from "@kli8nt/api";
import { loadBuildControllerConfig } from "@kli8nt/build-controller/config";
import { type Bus, type Consumer, createBus } from "@kli8nt/bus";
import { isKli8ntError, messageTypeOf } from "@kli8nt/core";
import { resolveEnv, writeNamedResourceSamples } from "@kli8nt/db";
import type { RunLogCapture } from "@kli8nt/deploy-controller";
import { loadDeployControllerConfig } from "@kli8nt/deploy-controller/config";
import { createFileLogStore, type LogStore, withSecretMasking } from "@kli8nt/logstore";
import type { DomainTable, Router } from "@kli8nt/router";
import type { Logger } from "pino";
import { checkIsolation } from "./isolation-check.ts";
import type { CommandIo } from "./plan.ts";
import { routerMetricsToStore } from "./router-metrics.ts";

type Configs = {
  api: ReturnType<typeof loadConfig>;
  addons: ReturnType<typeof loadAddonsConfig>;
  build: ReturnType<typeof loadBuildControllerConfig>;
  deploy: ReturnType<typeof loadDeployControllerConfig>;
};

function loadConfigs(env: NodeJS.ProcessEnv | undefined, io: CommandIo): Configs | null {
  try {
    return env
      ? {
          api: loadConfig(env),
          addons: loadAddonsConfig(env),
          build: loadBuildControllerConfig(env),
          deploy: loadDeployControllerConfig(env),
        }
      : {
          api: loadConfig(),
          addons: loadAddonsConfig(),
          build: loadBuildControllerConfig(),
          deploy: loadDeployControllerConfig(),
        };
  } catch (error) {
    if (isKli8ntError(error) && error.code === "CONFIG_INVALID") {
      io.stderr.write(`${error.message}\n`);
      return null;
    }
    throw error;
  }
}

/** What the running platform holds, stopped in reverse order. */
interface Platform {
  readonly api: RunningApi;
  readonly router: Router;
  readonly consumers: Consumer[];
  readonly capture: RunLogCapture;
  readonly logs: LogStore;
  readonly bus: Bus;
  readonly notes: string[];
}

/** Starts api, router, deploy controller (after reconciling), build controller and INFORM consumer. */
async function startPlatform(configs: Configs, logger: Logger): Promise<Platform> {
  // KLI8NT_RABBITMQ_URL picks RabbitMQ (durable queues survive a restart); otherwise the in-process bus.
  const bus = await createBus(configs.api.bus, logger.child({ component: "bus" }));
  const logs = createFileLogStore({ dataDir: join(configs.api.dataDir, "logs") });
  // The domains reconciler starts after the router; until then an added domain waits for its first resync.
  const domainsHook: { changed: () => Promise<void> } = { changed: async () => undefined };
  const api = await startApi(
    configs.api,
    logger,
    (m) =>
      bus.publish(m.queue, { id: m.messageId, type: messageTypeOf(m.payload, m.queue), body: m.payload }),
    {
      logs,
      // Managed PostgreSQL (ADR 0225): KLI8NT_ADDONS=podman runs one server container for the machine.
      addons: (d) =>
        createAddonService(configs.addons, { ...d, logger: logger.child({ component: "addons" }) }),
      domains: { changed: () => domainsHook.changed() },
    },
  );
  // The controllers load after the api listens, so /healthz answers while they start (~1 s of imports).
  const {
    createEngine,
    CronScheduler,
    DEFAULT_HEAL,
    installationOf,
    localRuntime,
    PodmanStatsSampler,
    RestartTracker,
    removeAppImages,
    RunLogCapture,
    startDeployController,
    startStatsLoop,
  } = await import("@kli8nt/deploy-controller");
  const { createBuilder, logStoreLogSink, startBuildController } = await import("@kli8nt/build-controller");
  const { createRouter, DomainTable, MemoryRouteTable } = await import("@kli8nt/router");
  const routes = new MemoryRouteTable();
  const domains = new DomainTable();
  const metricsStored = (appIds: readonly string[]) => {
    for (const id of appIds) api.events.metricsChanged(id);
  };
  const router = await createRouter({
    port: configs.deploy.routerPort,
    maxConnections: configs.deploy.routerMaxConnections,
    bodyTimeoutMs: configs.deploy.routerBodyTimeoutMs,
    table: routes,
    // Custom domains (ADR 0221): plain HTTP at once, HTTPS on KLI8NT_ROUTER_TLS_PORT once certified.
    domains,
    tlsPort: configs.deploy.routerTlsPort,
    ...(configs.deploy.routerPublicTlsPort === undefined
      ? {}
      : { publicTlsPort: configs.deploy.routerPublicTlsPort }),
    logger: logger.child({ component: "router" }),
    // Requests, latency and status classes per app, per minute, into the metrics store (ADR 0215); each
    // flush tells the apps' open Metrics tabs (ADR 0217).
    metrics: routerMetricsToStore(
      api.db,
      logger.child({ component: "router-metrics" }),
      10_000,
      metricsStored,
    ),
  });
  const domainReconciler = await startDomains(configs, api, domains, logger);
  domainsHook.changed = () =>
    domainReconciler.resync().catch((err: unknown) => logger.warn({ err }, "Domain resync failed"));
  const secretsOf = async (appId: string) =>
    (await resolveEnv(api.db, api.box, appId)).filter((v) => v.secret).map((v) => v.value);
  const engine = await createEngine(configs.deploy);
  // Unset KLI8NT_ADDONS follows the engine: podman runs the add-ons' server too; process mode refuses them.
  if (configs.addons.KLI8NT_ADDONS === undefined && engine.kind === "podman") {
    api.addons?.useServer(podmanServerOf(configs.addons));
  }
  const masked = withSecretMasking(logs, secretsOf);
  const capture = new RunLogCapture({
    engine,
    append: async (appId, records) => {
      await masked.append(appId, records);
      observeLogLag(records.map((r) => r.timestamp));
    },
    lastTimestamp: async (appId, deploymentId) =>
      (await logs.read(appId, { phase: "run", deployment: deploymentId, tail: 1 })).records[0]?.timestamp ??
      null,
    onError: (err) => logger.warn({ err }, "Run log append failed"),
  });
  const sink = logStoreLogSink(masked, (err) => logger.warn({ err }, "Build log append failed"));
  const github = {
    config: configs.api,
    db: api.db,
    box: api.box,
    logger: logger.child({ component: "github" }),
  };
  const builder = await createBuilder(configs.build);
  const runtime = localRuntime({
    engine,
    routes,
    capture,
    logger: logger.child({ component: "runtime" }),
    settings: {
      healthTimeoutMs: configs.deploy.healthTimeoutMs,
      drainMs: configs.deploy.drainMs,
      appUrlTemplate: configs.api.appUrlTemplate,
      ...DEFAULT_HEAL,
    },
  });
  const deployConsumer = await startDeployController({
    db: api.db,
    box: api.box,
    bus,
    runtime,
    logger: logger.child({ component: "deploy-controller" }),
    onOutboxWrite: api.kickOutbox,
    oneOffLog: (run, phase) => capture.oneOff(run, phase),
    resyncMs: configs.deploy.resyncMs,
    onReconcileError: countReconcileError,
    // A deleted app's images and layer cache go with it (buildah and podman share the local store).
    ...(engine.kind === "podman"
      ? {
          removeArtifacts: async (app: string) =>
            void (await removeAppImages(configs.deploy.hostEnv, configs.build.imagePrefix, app)),
        }
      : {}),
    settings: { formationDefaults: configs.api.formation.defaults },
  });
  // Cron jobs run in one-off containers of each app's live release; the run rows keep minutes from
  // running twice across a restart.
  const cron = new CronScheduler({
    db: api.db,
    box: api.box,
    runtime,
    oneOffLog: (run, phase) => capture.oneOff(run, phase),
    settings: { memory: configs.api.formation.defaults.memory, cpu: configs.api.formation.defaults.cpu },
    logger: logger.child({ component: "cron" }),
  });
  await cron.start();
  const buildConsumer = await startBuildController({
    db: api.db,
    bus,
    config: configs.build,
    builder,
    sink,
    credentials: cloneCredentials(github),
    // Variables marked `build: true` reach the build as build args, or build secrets when secret.
    buildVars: async (appId) => (await resolveEnv(api.db, api.box, appId)).filter((v) => v.build),
    logger: logger.child({ component: "build-controller" }),
    onOutboxWrite: api.kickOutbox,
  });
  const informConsumer = await startInformConsumer({
    db: api.db,
    bus,
    logger,
    github,
    events: api.events,
    notify: api.notifyDeployment,
  });
  const resumed = await resumeInFlight(api.db);
  if (resumed.length > 0) logger.info({ resumed }, "Resumed interrupted deployments");
  api.kickOutbox();
  // A message the bus gave up on fails its deployment with the reason, instead of stranding it in flight.
  const sweep = setInterval(() => {
    failDeadLettered(api.db, bus, logger)
      .then((failed) => failed.length > 0 && api.kickOutbox())
      .catch((err: unknown) => logger.warn({ err }, "Dead-letter sweep failed"));
  }, configs.deploy.resyncMs);
  // CPU and memory of the app containers, every 15 s, into the metrics (ADR 0185).
  const stats =
    engine.kind === "podman"
      ? startStatsLoop({
          sampler: new PodmanStatsSampler({
            hostEnv: configs.deploy.hostEnv,
            installation: installationOf(configs.deploy.runDir),
          }),
          write: async (samples) => metricsStored(await writeNamedResourceSamples(api.db, samples)),
          intervalMs: 15_000,
          onError: (err) => logger.warn({ err }, "Container stats sample failed"),
        })
      : null;
  const restarts = new RestartTracker(api.db);
  const restartTimer = setInterval(() => {
    restarts.track(new Date()).catch((err: unknown) => logger.warn({ err }, "Restart count failed"));
  }, 15_000);
  const notes = [
    `builder ${builder.kind}${builder.isolated ? "" : " (unisolated)"}`,
    `runtime ${runtime.kind}${runtime.isolated ? "" : " (unisolated)"}`,
    `custom domains' HTTPS on port ${router.tlsPort}`,
  ];
  return {
    api,
    router,
    consumers: [
      { cancel: () => cron.stop() },
      { cancel: () => domainReconciler.stop() },
      { cancel: async () => clearInterval(sweep) },
      { cancel: async () => stats?.stop() },
      { cancel: async () => clearInterval(restartTimer) },
      buildConsumer,
      deployConsumer,
      informConsumer,
    ],
    capture,
    logs,
    bus,
    notes,
  };
}

/**
 * Certificates for custom domains from the ACME directory (ADR 0222), answered by the router's HTTP-01;
 * wildcards by the operator's DNS hook (ADR 0230).
 */
async function startDomains(configs: Configs, api: RunningApi, domains: DomainTable, logger: Logger) {
  const { AcmeIssuer, DomainReconciler, trustAcmeCaFile } = await import("@kli8nt/deploy-controller");
  trustAcmeCaFile(configs.deploy.acme.caFile);
  const issuer = new AcmeIssuer({
    db: api.db,
    box: api.box,
    directoryUrl: configs.deploy.acme.directoryUrl,
    email: configs.deploy.acme.email,
    challenges: domains,
    dnsHook: configs.deploy.acme.dnsHook,
    dnsPropagationMs: configs.deploy.acme.dnsPropagationMs,
  });
  const reconciler = new DomainReconciler({
    db: api.db,
    box: api.box,
    domains,
    issuer,
    logger: logger.child({ component: "domains" }),
  });
  await reconciler.start();
  return reconciler;
}

async function stopPlatform(p: Platform): Promise<void> {
  p.capture.stopAll();
  for (const consumer of p.consumers) await consumer.cancel();
  await p.router.close();
  await p.api.close();
  await p.bus.close();
  await p.logs.close();
}

/**
 * `kli8nt start`: the whole platform in one process on the embedded defaults (PGlite, in-process bus,
 * file logs, buildah/podman or process fallbacks, router on *.localhost). Resolves with the exit code once
 * a signal stopped it.
 */
export async function startCommand(_argv: string[], io: CommandIo, env?: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadConfigs(env, io);
  if (!loaded) return 1;
  // Tenant code runs unisolated only for one person on loopback (ADR 0138): refused otherwise, with why.
  const isolation = await checkIsolation({
    builder: loaded.build.builder,
    runtime: loaded.deploy.runtime,
    githubSignIn: Boolean(loaded.api.github.clientId),
    host: loaded.api.host,
    hostEnv: loaded.deploy.hostEnv,
  });
  if (!isolation.ok) {
    io.stderr.write(`Kli8nt cannot start: ${isolation.message}\n`);
    return 1;
  }
  const configs: Configs = {
    ...loaded,
    build: { ...loaded.build, builder: isolation.builder },
    deploy: { ...loaded.deploy, runtime: isolation.runtime },
  };
  const logger = createLogger(configs.api.logLevel);
  const platform = await startPlatform(configs, logger);
  const apps = configs.api.appUrlTemplate.replaceAll("{app}", "<app>");
  io.stdout.write(
    [
      "",
      "  Kli8nt is running.",
      `  Open ${platform.api.signInUrl} to sign in (the link works once).`,
      `  API: ${platform.api.url}/api   OpenAPI: ${platform.api.url}/api/openapi.json   Data: ${configs.api.dataDir}`,
      `  Router: ${platform.router.url}   Apps: ${apps}   (${platform.notes.join(", ")})`,
      ...isolation.notes.map((note) => `  Note: ${note}.`),
      "",
      "",
    ].join("\n"),
  );
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  logger.info({ signal }, "Shutting down");
  await stopPlatform(platform);
  return 0;
}
