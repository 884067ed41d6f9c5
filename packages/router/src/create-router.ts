import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { UnavailableError } from "@kli8nt/core";
import { ClientConnection, type ConnectionOptions } from "./client-connection.ts";
import type { DomainTable } from "./domain-table.ts";
import { rawResponse } from "./pages.ts";
import { createHandlers } from "./request-handlers.ts";
import { RequestMetrics } from "./request-metrics.ts";
import { type RouterOptions, routerSettings } from "./router-options.ts";
import { routerBusyPage } from "./status-pages.ts";
import { SweepClock } from "./sweep-clock.ts";
import { type ProxyContext, type RouterLogger, silentLogger } from "./types.ts";
import { UpstreamPool } from "./upstream-pool.ts";
import { UpstreamHealth } from "./upstream-set.ts";

export interface Router {
  /** Base URL of the router, e.g. http://127.0.0.1:8000 (apps are at http://<app>.localhost:8000). */
  readonly url: string;
  readonly port: number;
  /** The HTTPS listener's port, when custom domains were given. */
  readonly tlsPort: number | undefined;
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
  const ctx: ProxyContext = {
    appsDomain,
    pool,
    connectTimeoutMs,
    responseTimeoutMs,
    clock,
    logger,
    health,
    metrics,
  };
  const upgraded = new Set<Socket>();
  const connections = new Set<ClientConnection>();

  const routes = {
    table: options.table,
    appsDomain,
    port: 0,
    logger,
    health,
    domains: options.domains,
    tlsPort: 443,
  };
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
  // One handler for both listeners: a TLSSocket is a net.Socket, parsed the same way.
  const onConnection = (socket: Socket): void => {
    if (connections.size + upgraded.size >= maxConnections) {
      refuseConnection(socket);
      return;
    }
    connections.add(new ClientConnection(socket, handlers, connectionOptions, forget));
  };
  // Half-open: a client may send its request, shut its side and still wait for the answer.
  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, onConnection);
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
  const domains = options.domains;
  const tlsServer = domains === undefined ? undefined : createDomainsTlsServer(domains, onConnection, logger);
  const tlsPort =
    tlsServer === undefined ? undefined : await listen(tlsServer, options.tlsPort ?? 8443, host);
  routes.tlsPort = options.publicTlsPort ?? tlsPort ?? 443;
  metrics?.start();
  logger.info({ port, tlsPort, host, appsDomain }, "Started router");

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    tlsPort,
    appUrl: (app) => `http://${app.toLowerCase()}.${appsDomain}:${port}/`,
    flushMetrics: async () => metrics?.flush(),
    close: async () => {
      clearInterval(sweeper);
      const tlsClosed = tlsServer && new Promise<void>((resolve) => tlsServer.close(() => resolve()));
      await closeRouter(server, connections, pool, upgraded, settings.closeGraceMs);
      await tlsClosed;
      await metrics?.stop();
      logger.info({ port }, "Stopped router");
    },
  };
}

/**
 * HTTPS for custom domains: SNI picks the domain's certificate; a name without one (or no SNI at all) gets
 * no certificate and the handshake fails with an alert, which is logged at debug and costs nothing else.
 */
function createDomainsTlsServer(
  domains: DomainTable,
  onConnection: (socket: Socket) => void,
  logger: RouterLogger,
): TlsServer {
  const server = createTlsServer(
    {
      allowHalfOpen: true,
      noDelay: true,
      SNICallback: (servername, callback) => callback(null, domains.secureContext(servername)),
    },
    onConnection,
  );
  server.on("tlsClientError", (err, socket) => {
    logger.debug({ err: err.message, remoteAddress: socket.remoteAddress }, "Refused a TLS handshake");
    socket.destroy();
  });
  return server;
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
