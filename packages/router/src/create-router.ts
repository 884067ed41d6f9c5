import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { UnavailableError } from "@kli8nt/core";
import { ClientConnection, type ConnectionOptions } from "./client-connection.ts";
import { rawResponse } from "./pages.ts";
import { createHandlers } from "./request-handlers.ts";
import { RequestMetrics } from "./request-metrics.ts";
import { type RouterOptions, routerSettings } from "./router-options.ts";
import { routerBusyPage } from "./status-pages.ts";
import { SweepClock } from "./sweep-clock.ts";
import { type ProxyContext, silentLogger } from "./types.ts";
import { UpstreamPool } from "./upstream-pool.ts";
import { UpstreamHealth } from "./upstream-set.ts";

export interface Router {
  /** Base URL of the router, e.g. http://127.0.0.1:8000 (apps are at http://<app>.localhost:8000). */
  readonly url: string;
  readonly port: number;
  /**
   * Where visitors open an app: `http://<app>.<appsDomain>:<port>/`. Browsers and curl resolve
   * `*.localhost` to loopback themselves; Node's resolver does not, so Node clients connect to `url` and
   * send this host in the Host header.
   */
  appUrl(app: string): string;
  /** Hands the request counts so far to the metrics sink now (a no-op without `metrics`). */
  flushMetrics(): Promise<void>;
  /**
   * Stops accepting, lets in-flight requests finish (up to the grace period), closes upstream sockets, and
   * flushes the request counts.
   */
  close(): Promise<void>;
}

export type { RouterOptions } from "./router-options.ts";

/** Starts the single-machine reverse proxy. Resolves once it listens. */
export async function createRouter(options: RouterOptions): Promise<Router> {
  const settings = routerSettings(options, silentLogger);
  const { appsDomain, logger, connectTimeoutMs, responseTimeoutMs, maxConnections } = settings;
  const { headersTimeoutMs, keepAliveTimeoutMs, bodyTimeoutMs } = settings;
  const pool = new UpstreamPool(connectTimeoutMs);
  const clock = new SweepClock(
    SweepClock.intervalFor([responseTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs, bodyTimeoutMs]),
  );
  const health = new UpstreamHealth(clock, settings.upstreamDownMs);
  const metrics = options.metrics === undefined ? null : new RequestMetrics(options.metrics);
  const ctx: ProxyContext = { pool, connectTimeoutMs, responseTimeoutMs, clock, logger, health, metrics };
  const upgraded = new Set<Socket>();
  const connections = new Set<ClientConnection>();

  const routes = { table: options.table, appsDomain, port: 0, logger, health };
  const handlers = createHandlers(ctx, routes, upgraded);
  const connectionOptions: ConnectionOptions = {
    maxHeaderSize: settings.maxHeaderSize,
    headersTimeoutMs,
    keepAliveTimeoutMs,
    bodyTimeoutMs,
    clock,
  };
  const forget = (c: ClientConnection): void => {
    connections.delete(c);
  };
  // Half-open: a client may send its request, shut its side and still wait for the answer.
  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    if (connections.size + upgraded.size >= maxConnections) {
      refuseConnection(socket);
      return;
    }
    connections.add(new ClientConnection(socket, handlers, connectionOptions, forget));
  });
  // One timer for every deadline of every connection, instead of timers per request (sweep-clock.ts).
  const sweeper = setInterval(() => {
    const now = clock.tick();
    for (const c of connections) c.sweep(now);
  }, clock.intervalMs);
  sweeper.unref();

  const host = options.host ?? "127.0.0.1";
  const port = await listen(server, options.port ?? 8000, host);
  // The 404 page tells visitors which port apps are on; it is only known once listening (port 0).
  routes.port = port;
  metrics?.start();
  logger.info({ port, host, appsDomain }, "Started router");

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    appUrl: (app) => `http://${app.toLowerCase()}.${appsDomain}:${port}/`,
    flushMetrics: async () => metrics?.flush(),
    close: async () => {
      clearInterval(sweeper);
      await closeRouter(server, connections, pool, upgraded, settings.closeGraceMs);
      await metrics?.stop();
      logger.info({ port }, "Stopped router");
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(
        new UnavailableError("ROUTER_LISTEN_FAILED", `router cannot listen on ${host}:${port}`, {
          cause: err,
        }),
      );
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function closeRouter(
  server: Server,
  connections: Set<ClientConnection>,
  pool: UpstreamPool,
  upgraded: Set<Socket>,
  graceMs: number,
): Promise<void> {
  for (const socket of upgraded) socket.destroy();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const c of connections) c.shutdown();
  const cut = setTimeout(() => {
    for (const c of connections) c.socket.destroy();
  }, graceMs);
  await closed;
  clearTimeout(cut);
  pool.destroy();
}

/** Over the connection cap: a 503 page the client can read (not a reset), then the socket closes. */
function refuseConnection(socket: Socket): void {
  socket.on("error", () => socket.destroy());
  socket.setTimeout(5000, () => socket.destroy());
  socket.end(rawResponse(routerBusyPage(), undefined));
  // Whatever the client sends is read and dropped, so its request does not turn the close into a reset.
  socket.resume();
}
