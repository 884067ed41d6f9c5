import type { Server } from "node:http";
import {
  createSignInLink,
  type Db,
  ensureAdminUser,
  loadSecretKey,
  OutboxRelay,
  openDatabase,
  type Publish,
  SecretBox,
} from "@kli8nt/db";
import type { LogStore } from "@kli8nt/logstore";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { AddonService } from "./addons/addon-service.ts";
import { buildApi } from "./app.ts";
import { listenEarly } from "./boot-server.ts";
import type { ApiConfig } from "./config.ts";
import type { ApiDeps } from "./deps.ts";
import { type ChangeFeed, InProcessChangeFeed } from "./events/change-feed.ts";
import { EventHub } from "./events/event-hub.ts";
import { PgChangeFeed } from "./events/pg-change-feed.ts";
import { buildInternalApi } from "./internal-app.ts";
import { startMetricsRetention } from "./metrics/retention.ts";
import { DeliveryWorker } from "./notifications/delivery-worker.ts";
import { recordDeploymentEvents } from "./notifications/deployment-events.ts";

export interface RunningApi {
  /** Where the api listens, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Where `/internal/v1/…` is served when KLI8NT_INTERNAL_PORT is set (ADR 0124); `url` otherwise. */
  readonly internalUrl: string;
  /** One-time sign-in link for the local administrator (single-machine mode). */
  readonly signInUrl: string;
  /** Shared with controllers running in the same process (PGlite allows one opener). */
  readonly db: Db;
  readonly box: SecretBox;
  /** Publishes committed outbox rows now (controllers call it after their transitions). */
  readonly kickOutbox: () => void;
  /** Give it to the INFORM consumer so controllers' progress reaches the browsers. */
  readonly events: EventHub;
  /** Give it to the INFORM consumer: queues a deployment's notifications and sends them (ADR 0186). */
  readonly notifyDeployment: (deploymentId: string) => Promise<void>;
  /** The managed add-ons' service, when StartApiOptions.addons made one (ADR 0225). */
  readonly addons?: AddonService;
  close(): Promise<void>;
}

export interface StartApiOptions {
  /** Serves the log routes from this store when given. */
  readonly logs?: LogStore;
  /** Makes the managed add-ons' service (ADR 0225) on the api's database and box; started and stopped here. */
  readonly addons?: (deps: { db: Db; box: SecretBox }) => AddonService;
  /** Told when a custom domain is added or removed (ADR 0220), so the router follows without a resync. */
  readonly domains?: { changed(): Promise<void> | void };
}

const SIGN_IN_LINK_TTL_MS = 60 * 60 * 1000;

/**
 * Opens the database (PGlite or PostgreSQL), loads the secret key, starts the outbox relay on `publish`, and
 * listens. The database, secret box and relay are handed back so an all-in-one process can share them with
 * its controllers. The caller owns signals.
 */
export async function startApi(
  config: ApiConfig,
  logger: Logger,
  publish: Publish,
  options: StartApiOptions = {},
): Promise<RunningApi> {
  // Listening comes first: liveness answers while PGlite initialises (seconds on a new data dir).
  const boot = await listenEarly(config.host, config.port);
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    onIdleError: (err) => logger.warn({ err }, "Lost an idle database connection"),
  }).catch(async (error: unknown) => {
    await new Promise((resolve) => boot.server.close(resolve));
    throw error;
  });
  logger.info({ database: database.kind }, "Opened database");
  // Several api replicas share a PostgreSQL database: changes cross to all of them (ADR 0121). PGlite
  // means one process (`kli8nt start`), so the hub hears its own writers directly.
  let feed: ChangeFeed = new InProcessChangeFeed();
  if (database.kind === "postgres" && config.databaseUrl) {
    feed = await PgChangeFeed.start({
      url: config.databaseUrl,
      db: database.db,
      logger: logger.child({ component: "events" }),
    }).catch(async (error: unknown) => {
      await database.close();
      await new Promise((resolve) => boot.server.close(resolve));
      throw error;
    });
  }
  const box = new SecretBox(loadSecretKey(config.secretKey, config.dataDir));
  const relay = new OutboxRelay(database.db, publish, {
    onError: (err) => logger.warn({ err }, "Outbox relay failed; will retry"),
  });
  const kickOutbox = () => relay.kick();
  const events = new EventHub({
    db: database.db,
    appUrlTemplate: config.appUrlTemplate,
    onError: (err) => logger.warn({ err }, "Event delivery failed; browsers catch up on resync"),
    feed,
  });
  const notifications = new DeliveryWorker({
    db: database.db,
    box,
    logger: logger.child({ component: "notifications" }),
    senders: { ...config.notifications, timeoutMs: 10_000 },
  });
  const addons = options.addons?.({ db: database.db, box });
  const deps: ApiDeps = {
    config,
    db: database.db,
    box,
    onOutboxWrite: kickOutbox,
    events,
    notifications,
    ...(options.logs ? { logs: options.logs } : {}),
    ...(addons ? { addons } : {}),
    ...(options.domains ? { domains: options.domains } : {}),
  };
  const app = await buildApi(deps, {
    logger: logger.child({ component: "http" }),
    serverFactory: (handler) => boot.attach(handler),
  });
  await app.ready();
  const internal = await listenInternal(deps, logger).catch(async (error: unknown) => {
    await app.close();
    await closeServer(boot.server, 0);
    await feed.close();
    await database.close();
    throw error;
  });
  boot.activate();
  relay.start();
  notifications.start();
  addons?.start();
  const retention = startMetricsRetention(database.db, logger.child({ component: "metrics" }));
  const port = boot.port;
  const url = `http://${hostInUrl(config.host)}:${port}`;
  const base = config.publicUrl.replace(/:\d+$/, "") === `http://${config.host}` ? url : config.publicUrl;
  const admin = await ensureAdminUser(database.db);
  const signInUrl = `${base}/auth/link/${await createSignInLink(database.db, admin.id, SIGN_IN_LINK_TTL_MS)}`;
  return {
    url,
    internalUrl: internal?.url ?? url,
    signInUrl,
    db: database.db,
    box,
    kickOutbox,
    events,
    ...(addons ? { addons } : {}),
    async notifyDeployment(deploymentId) {
      if ((await recordDeploymentEvents(database.db, deploymentId)) > 0) notifications.kick();
    },
    async close() {
      await internal?.app.close();
      await app.close();
      // Fastify never called listen() (serverFactory), so it leaves the server it was handed open.
      await closeServer(boot.server, CLOSE_GRACE_MS);
      await feed.close();
      await relay.stop();
      await notifications.stop();
      await addons?.stop();
      retention.stop();
      await database.close();
    },
  };
}

function hostInUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The internal listener, when KLI8NT_INTERNAL_PORT is set (ADR 0124). */
async function listenInternal(
  deps: ApiDeps,
  logger: Logger,
): Promise<{ app: FastifyInstance; url: string } | undefined> {
  const { host, internalPort } = deps.config;
  if (internalPort === undefined) return undefined;
  const app = await buildInternalApi(deps, { logger: logger.child({ component: "internal-http" }) });
  await app.listen({ host, port: internalPort });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : internalPort;
  return { app, url: `http://${hostInUrl(host)}:${port}` };
}

// Fastify has drained its requests by then; a connection still busy after this (a client streaming a log)
// is cut rather than left to hold the process.
const CLOSE_GRACE_MS = 2000;

/** Stops listening: idle keep-alive connections close at once, busy ones after `graceMs`. */
function closeServer(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}
