import { createHash } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ApiConfig } from "../config.ts";
import { sessionFrom } from "../plugins/auth.ts";
import { TooManyRequestsError } from "./too-many-requests.ts";

/** Where a browser starts or finishes a sign-in: unauthenticated, so limited per address, and tighter. */
export const SIGN_IN_ROUTES = ["/auth/link/:token", "/auth/github", "/auth/github/callback"];
/** Probes a kubelet or load balancer sends every few seconds. */
const PROBES = new Set(["/healthz", "/readyz"]);

const fingerprint = (secret: string) => createHash("sha256").update(secret).digest("base64url").slice(0, 22);

/**
 * The bucket a request counts against: its credential (a token or a session, hashed, never kept in clear)
 * or, without one, its address. Behind the Ingress every request comes from the proxy's address, so a
 * per-address limit alone would put every user in one bucket.
 */
function bucketOf(request: FastifyRequest, publicUrl: string): string {
  const authorization = request.headers.authorization;
  if (authorization) return `token:${fingerprint(authorization)}`;
  const session = sessionFrom(request, publicUrl);
  return session ? `session:${fingerprint(session)}` : `ip:${request.ip}`;
}

/**
 * Request rate limits (ADR 0134): every route per credential, sign-in routes per address and tighter.
 * Over the limit: a 429 problem+json with Retry-After (seconds). In-memory per replica: a limit of N per
 * replica, which bounds abuse without a shared store.
 */
export async function installRateLimit(app: FastifyInstance, config: ApiConfig): Promise<void> {
  const { requestsPerMinute, signInsPerMinute } = config.limits;
  // Before the plugin's own onRoute hook, so the plugin sees the sign-in routes' tighter setting.
  app.addHook("onRoute", (route) => {
    if (!SIGN_IN_ROUTES.includes(route.url)) return;
    route.config = {
      ...route.config,
      rateLimit: {
        max: signInsPerMinute,
        timeWindow: 60_000,
        keyGenerator: (r: FastifyRequest) => `ip:${r.ip}`,
      },
    } as NonNullable<typeof route.config>;
  });
  await app.register(rateLimit, {
    global: true,
    max: requestsPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => bucketOf(request, config.publicUrl),
    allowList: (request) => PROBES.has(request.url.split("?")[0] ?? ""),
    errorResponseBuilder: (_request, context) =>
      new TooManyRequestsError(
        "RATE_LIMITED",
        `Too many requests: the limit is ${context.max} a minute; try again in ${context.after} (Retry-After)`,
      ),
  });
}
