import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { onClientError } from "./plugins/framework-errors.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The api's HTTP server, listening before the database is open: while the api boots, `/healthz` (liveness)
 * answers and everything else gets a 503 problem saying it is starting. `attach` hands the server to Fastify
 * (its `serverFactory`); `activate`, called once Fastify is ready, lets it answer everything, `/readyz`
 * included (Fastify must not see a request before then).
 */
export interface BootServer {
  readonly server: Server;
  readonly port: number;
  attach(handler: Handler): Server;
  activate(): void;
}

export async function listenEarly(host: string, port: number): Promise<BootServer> {
  let handler: Handler | undefined;
  let pending: Handler | undefined;
  const server = createServer((req, res) => {
    if (handler) return handler(req, res);
    const path = req.url?.split("?")[0];
    const json = (status: number, type: string, body: unknown) => {
      res.writeHead(status, { "content-type": type, "retry-after": "1" }).end(JSON.stringify(body));
    };
    if (path === "/healthz") return json(200, "application/json; charset=utf-8", { status: "ok" });
    return json(503, "application/problem+json; charset=utf-8", {
      type: "https://kli8nt.dev/problems/starting",
      title: "Service Unavailable",
      status: 503,
      detail: "Kli8nt is starting (opening its database); try again in a moment",
      instance: path ?? "/",
      code: "STARTING",
    });
  });
  // Node's parser errors (an overlong URL or headers) as problem+json while booting too; once the api is
  // active, Fastify's own clientErrorHandler (the same function) answers them.
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!handler) onClientError(err, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    attach(next) {
      pending = next;
      return server;
    },
    activate() {
      handler = pending;
    },
  };
}
