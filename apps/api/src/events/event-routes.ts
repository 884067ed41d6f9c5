import { type Db, findUserBySession } from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { WebSocket } from "ws";
import { requireUser } from "../plugins/auth.ts";
import { sendProblem } from "../plugins/problem-json.ts";
import type { EventHub, PlatformEvent } from "./event-hub.ts";

export interface EventRouteOptions {
  readonly db: Db;
  readonly events: EventHub;
  /** Ping interval; a socket that missed one pong, or whose session ended, is closed. */
  readonly heartbeatMs?: number;
}

/** Bytes queued for a browser beyond which it is dropped; it reconnects and resyncs over REST. */
const HIGH_WATER_BYTES = 256 * 1024;
/** Close codes the UI treats as final (4000–4999, as the log stream does). */
export const CLOSE_SIGNED_OUT = 4401;

/**
 * `GET /api/events` (WebSocket): the signed-in user's deployment and app changes, pushed as they are
 * recorded (ADR 0096). The first message is `{"type":"ready"}`, sent once the subscription is in place:
 * a client that fetches state after it has missed nothing. There is no history; a reconnect resyncs.
 * `ready` comes again when this replica may have missed changes of other replicas (ADR 0121).
 */
export function eventRoutes(options: EventRouteOptions): FastifyPluginAsyncZod {
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  return async (app) => {
    app.route({
      method: "GET",
      url: "/events",
      schema: {
        tags: ["events"],
        summary:
          'WebSocket: {"type":"ready"}, then deployment, app, app-deleted and metrics-updated events of your own apps',
      },
      // A plain GET (curl, a proxy that drops the Upgrade header) gets a problem, not an empty 404.
      handler: (request, reply) =>
        sendProblem(
          reply,
          request,
          426,
          "WEBSOCKET_REQUIRED",
          "Open /api/events as a WebSocket (ws:// or wss://); if a proxy sits in front, let it pass the Upgrade header",
        ),
      wsHandler: (socket, request) => {
        const user = requireUser(request);
        // Only a browser session can end under the socket; API tokens are checked at connect.
        const session = request.sessionId;
        const unsubscribe = options.events.subscribe(user.id, (event) => deliver(socket, event), session);
        let alive = true;
        socket.on("pong", () => {
          alive = true;
        });
        const timer = setInterval(() => {
          if (!alive) return socket.terminate();
          alive = false;
          socket.ping();
          if (session) void endIfSignedOut(options.db, session, socket, request.log);
        }, heartbeatMs);
        socket.on("close", () => {
          clearInterval(timer);
          unsubscribe();
        });
        socket.send(JSON.stringify({ type: "ready" }));
      },
    });
  };
}

function deliver(socket: WebSocket, event: PlatformEvent): void {
  if (socket.readyState !== socket.OPEN) return;
  if (event.type === "signed-out") {
    socket.close(CLOSE_SIGNED_OUT, "Signed out: sign in again to see live updates");
    return;
  }
  // A reader this far behind gets nothing more; its reconnect fetches the current state instead.
  if (socket.bufferedAmount > HIGH_WATER_BYTES) socket.terminate();
  else socket.send(JSON.stringify(event));
}

async function endIfSignedOut(
  db: Db,
  session: string,
  socket: WebSocket,
  log: { warn: (obj: object, msg: string) => void },
): Promise<void> {
  try {
    if (!(await findUserBySession(db, session)))
      socket.close(CLOSE_SIGNED_OUT, "Your session has expired: sign in again to see live updates");
  } catch (err) {
    log.warn({ err }, "Session check of an events socket failed; will retry");
  }
}
