import { NotAllowedError } from "@kli8nt/core";
import { type Db, schema } from "@kli8nt/db";
import { and, count, eq, isNull } from "drizzle-orm";
import type { FastifyInstance } from "fastify";

/** Apps `ownerId` has now. */
export async function countApps(db: Db, ownerId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(schema.apps) // Previews are bounded per app by their own `max` (ADR 0200), not by the app quota.
    .where(and(eq(schema.apps.ownerId, ownerId), isNull(schema.apps.previewOf)));
  return row?.n ?? 0;
}

/**
 * The per-user app quota (ADR 0134), checked before `POST /api/apps` runs: each app is a build queue
 * entry, a namespace and a subdomain, so one account must not be able to make thousands. Two creates at
 * the same instant may pass together and end one over; the next is refused.
 */
export function installAppQuota(scope: FastifyInstance, options: { db: Db; appsPerUser: number }): void {
  scope.addHook("preHandler", async (request) => {
    if (request.method !== "POST" || request.routeOptions.url !== "/api/apps" || !request.user) return;
    const owned = await countApps(options.db, request.user.id);
    if (owned < options.appsPerUser) return;
    throw new NotAllowedError(
      "APP_QUOTA_REACHED",
      `You have ${owned} apps and the limit is ${options.appsPerUser} per user (KLI8NT_MAX_APPS_PER_USER); delete one first, or ask the administrator to raise the limit`,
      { details: { limit: options.appsPerUser, apps: owned } },
    );
  });
}
