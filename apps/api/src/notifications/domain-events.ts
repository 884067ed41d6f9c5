import { type Db, enqueueNotification, schema } from "@kli8nt/db";
import { and, eq, gte } from "drizzle-orm";
import { reasonOf } from "./addon-events.ts";

/**
 * Level-triggered: every custom domain recorded in `error` within the last `windowMs` queues `domain.error`,
 * once per domain per UTC day. Both the one-machine ACME reconciler and the Kubernetes domain pass write the
 * status; reading the table covers them alike. Failed orders retry every few minutes, so a key per attempt
 * would page a team each time; a domain still failing the next day is told again. Returns deliveries queued.
 */
export async function sweepDomainEvents(db: Db, now: Date, windowMs: number): Promise<number> {
  const rows = await db
    .select({ domain: schema.domains, appName: schema.apps.name })
    .from(schema.domains)
    .innerJoin(schema.apps, eq(schema.apps.id, schema.domains.appId))
    .where(
      and(
        eq(schema.domains.status, "error"),
        gte(schema.domains.updatedAt, new Date(now.getTime() - windowMs)),
      ),
    );
  let queued = 0;
  for (const { domain, appName } of rows) {
    const occurredAt = domain.updatedAt;
    queued += await enqueueNotification(db, {
      appId: domain.appId,
      event: "domain.error",
      eventKey: `domain.error:${domain.id}:${occurredAt.toISOString().slice(0, 10)}`,
      payload: {
        event: "domain.error",
        occurredAt: occurredAt.toISOString(),
        app: { name: appName },
        domain: { hostname: domain.hostname, status: domain.status },
        detail: reasonOf(domain.detail ?? "The certificate could not be issued"),
      },
      occurredAt,
    });
  }
  return queued;
}
