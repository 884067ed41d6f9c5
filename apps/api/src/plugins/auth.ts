import { timingSafeEqual } from "node:crypto";
import { UnauthenticatedError, type User } from "@kli8nt/core";
import { type Db, ensureAdminUser, findUserByApiToken, findUserBySession } from "@kli8nt/db";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export const SESSION_COOKIE = "kli8nt_session";

/**
 * The session cookie's name (ADR 0131). Behind https it carries the `__Host-` prefix, so the browser only
 * accepts it Secure, for Path=/ and without a Domain: a tenant app on a sibling subdomain can neither set
 * nor shadow it. Over plain http browsers refuse `__Host-` cookies, so the plain name stays there.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

/** Whether the public URL is https, which decides the cookie's name and its Secure flag. */
export const isSecureUrl = (publicUrl: string) => publicUrl.startsWith("https://");

/** The session id from the one cookie name this install uses; the other name is ignored. */
export function sessionFrom(request: FastifyRequest, publicUrl: string): string | undefined {
  return request.cookies[sessionCookieName(isSecureUrl(publicUrl))] || undefined;
}

/** Starts a browser session: HttpOnly, SameSite=Lax, Secure behind https; then home, never cached. */
export function signInAndRedirect(
  reply: FastifyReply,
  session: string,
  options: { secure: boolean; ttlMs: number },
): FastifyReply {
  return reply
    .setCookie(sessionCookieName(options.secure), session, {
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
    /** The browser session the request came with (null for bearer tokens): sockets watch it end. */
    sessionId: string | null;
  }
}

export interface AuthOptions {
  readonly db: Db;
  readonly adminToken: string | undefined;
  readonly publicUrl: string;
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
    request.sessionId =
      request.headers.authorization === undefined ? (sessionFrom(request, options.publicUrl) ?? null) : null;
    request.user = await authenticate(request, options, adminToken, admin);
  });
}

async function authenticate(
  request: FastifyRequest,
  { db, publicUrl }: AuthOptions,
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
  const session = sessionFrom(request, publicUrl);
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
