import { NotAllowedError } from "@kli8nt/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { sessionFrom } from "./auth.ts";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** What the request's headers say about where it came from, or null when it may go on. */
export function originRefusal(headers: FastifyRequest["headers"], allowed: readonly string[]): string | null {
  const expectedOrigin = allowed[0] ?? "";
  const origin = headers.origin;
  if (origin !== undefined) {
    return allowed.includes(origin)
      ? null
      : `This request came from ${origin === "null" ? "an opaque origin" : origin}, not from Kli8nt (${expectedOrigin}); a page elsewhere cannot act with your session. Scripts should send an API token as a Bearer token`;
  }
  const site = headers["sec-fetch-site"];
  if (site === "same-origin") return null;
  if (site !== undefined) {
    return `This request was sent ${site} (Sec-Fetch-Site), not from Kli8nt (${expectedOrigin}); a page elsewhere cannot act with your session`;
  }
  return `A request made with the Kli8nt session cookie must say where it comes from (Origin ${expectedOrigin}); scripts should send an API token as a Bearer token instead`;
}

/**
 * Cross-site request refusal for cookie-authenticated writes and WebSocket upgrades (ADR 0130). SameSite=Lax
 * does not help here: tenant apps under the same registrable domain are same-site with the dashboard, and
 * WebSocket handshakes are GETs. So every such request must come from the public URL's exact origin.
 * Bearer tokens carry no ambient authority and are exempt; requests without the session cookie are left
 * to the auth hook (a 401). Runs before auth, so a refused request never touches the database.
 */
export function installOriginCheck(
  scope: FastifyInstance,
  config: { readonly publicUrl: string; readonly browserOrigins: readonly string[] },
): void {
  const { publicUrl, browserOrigins } = config;
  scope.addHook("onRequest", async (request) => {
    if (request.headers.authorization !== undefined) return;
    const upgrade = request.headers.upgrade?.toLowerCase() === "websocket";
    if (!upgrade && !UNSAFE_METHODS.has(request.method)) return;
    if (sessionFrom(request, publicUrl) === undefined) return;
    const refusal = originRefusal(request.headers, browserOrigins);
    if (refusal === null) return;
    request.log.warn(
      { origin: request.headers.origin, secFetchSite: request.headers["sec-fetch-site"] },
      "Refused a cross-origin request made with a session cookie",
    );
    throw new NotAllowedError("ORIGIN_REFUSED", refusal);
  });
}
