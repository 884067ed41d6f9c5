import { timingSafeEqual } from "node:crypto";
import { UnauthenticatedError, type User } from "@kli8nt/core";
import { type Db, ensureAdminUser, findUserByApiToken, findUserBySession } from "@kli8nt/db";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export const SESSION_COOKIE = "kli8nt_session";

/** Starts a browser session: HttpOnly, SameSite=Lax, Secure behind https; then home, never cached. */
export function signInAndRedirect(
  reply: FastifyReply,
  session: string,
  options: { secure: boolean; ttlMs: number },
): FastifyReply {
  return reply
    .setCookie(SESSION_COOKIE, session, {
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      secure: options.secure,
      maxAge: Math.floor(options.ttlMs / 1000),
    })
    .header("cache-control", "no-store")
    .redirect("/", 302);
}

declare module "fastify" {
  interface FastifyRequest {
    user: User | null;
  }
}

export interface AuthOptions {
  readonly db: Db;
  readonly adminToken: string | undefined;
}

/**
 * Accepts `Authorization: Bearer <api token | KLI8NT_ADMIN_TOKEN>` or the session cookie. Runs on every
 * request of the scope it is installed in, before the body is parsed, so nothing leaks to a stranger.
 */
export function installAuth(scope: FastifyInstance, options: AuthOptions): void {
  const adminToken = options.adminToken ? Buffer.from(options.adminToken) : null;
  let adminUser: Promise<User> | null = null;
  const admin = () => {
    adminUser ??= ensureAdminUser(options.db);
    return adminUser;
  };

  scope.addHook("onRequest", async (request) => {
    request.user = await authenticate(request, options.db, adminToken, admin);
  });
}

async function authenticate(
  request: FastifyRequest,
  db: Db,
  adminToken: Buffer | null,
  admin: () => Promise<User>,
): Promise<User> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      throw new UnauthenticatedError("TOKEN_MALFORMED", 'Send the token as "Authorization: Bearer <token>"');
    }
    const token = match[1];
    if (adminToken && safeEqual(Buffer.from(token), adminToken)) return admin();
    const user = await findUserByApiToken(db, token);
    if (!user) throw new UnauthenticatedError("TOKEN_INVALID", "The token is invalid or has been revoked");
    return user;
  }
  const session = request.cookies[SESSION_COOKIE];
  if (session) {
    const user = await findUserBySession(db, session);
    if (user) return user;
    throw new UnauthenticatedError("SESSION_EXPIRED", "Your session has expired; sign in again");
  }
  throw new UnauthenticatedError("UNAUTHENTICATED", "Sign in, or send an API token as a Bearer token");
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function requireUser(request: FastifyRequest): User {
  if (!request.user) throw new UnauthenticatedError("UNAUTHENTICATED", "Sign in first");
  return request.user;
}
