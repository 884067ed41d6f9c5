import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";
import type { WebSocket, WebSocketServer } from "ws";
import { TooManyRequestsError } from "./too-many-requests.ts";

const OWNER = Symbol("kli8nt.socketOwner");
type Owned = IncomingMessage & { [OWNER]?: string };

/** Open WebSockets per user on this replica. */
export class SocketCounter {
  readonly #open = new Map<string, number>();

  count(userId: string): number {
    return this.#open.get(userId) ?? 0;
  }

  opened(userId: string, socket: WebSocket): void {
    this.#open.set(userId, this.count(userId) + 1);
    socket.once("close", () => {
      const left = this.count(userId) - 1;
      if (left > 0) this.#open.set(userId, left);
      else this.#open.delete(userId);
    });
  }
}

/**
 * The per-user WebSocket cap (ADR 0134): each socket holds a subscription, a heartbeat and buffers, so one
 * account must not open thousands. Checked after auth and before the upgrade (a 429 problem, not a 101);
 * counted once the socket is open, and released when it closes. Per replica, like the sockets themselves.
 */
export function installSocketCap(
  scope: FastifyInstance,
  options: { server: WebSocketServer; socketsPerUser: number },
): SocketCounter {
  const counter = new SocketCounter();
  options.server.on("connection", (socket: WebSocket, raw: Owned) => {
    const owner = raw[OWNER];
    if (owner) counter.opened(owner, socket);
  });
  scope.addHook("preHandler", async (request, reply) => {
    if (request.headers.upgrade?.toLowerCase() !== "websocket" || !request.user) return;
    const open = counter.count(request.user.id);
    if (open >= options.socketsPerUser) {
      reply.header("retry-after", "30");
      throw new TooManyRequestsError(
        "TOO_MANY_SOCKETS",
        `You have ${open} live connections open and the limit is ${options.socketsPerUser} per user (KLI8NT_MAX_SOCKETS_PER_USER); close other Kli8nt tabs and try again`,
      );
    }
    (request.raw as Owned)[OWNER] = request.user.id;
  });
  return counter;
}
