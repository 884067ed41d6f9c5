import { NotFoundError } from "@kli8nt/core";
import type { FastifyInstance } from "fastify";
import { safePath } from "../safe-path.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Set on routes declared with `websocket: true` (upgrade-guard.ts). */
    webSocketRoute?: boolean;
  }
}

/**
 * A WebSocket handshake to a route that serves none (the UI's catch-all, `/API/events`, `/api//events`)
 * used to get a 101 from @fastify/websocket and an immediate close. It is answered with a 404
 * problem+json instead, before any upgrade, so that nothing but the real socket routes ever switches
 * protocols. Install before any route is declared: it marks the socket routes as they are added.
 */
export function installUpgradeGuard(app: FastifyInstance, socketPaths: string): void {
  app.addHook("onRoute", (route) => {
    // Routes take a socket as `websocket: true` or as a `wsHandler` beside a plain handler.
    const socket = route.websocket === true || typeof route.wsHandler === "function";
    if (socket) route.config = { ...route.config, webSocketRoute: true };
  });
  app.addHook("onRequest", async (request) => {
    // `ws`: @fastify/websocket's mark of a request that came as an HTTP upgrade.
    if (!request.ws) return;
    if (request.routeOptions.config?.webSocketRoute === true) return;
    throw new NotFoundError(
      "WEBSOCKET_NOT_FOUND",
      `There is no WebSocket at ${safePath(request.url)}; Kli8nt's sockets are ${socketPaths}`,
    );
  });
}
