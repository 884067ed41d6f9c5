import { DEPLOYMENT_STATES, isInFlight } from "@kli8nt/core";
import { type Db, enqueueMessage, schema } from "@kli8nt/db";
import { and, desc, inArray, sql } from "drizzle-orm";

const IN_FLIGHT = DEPLOYMENT_STATES.filter(isInFlight);

/**
 * At start, republishes the newest BUILD or DEPLOY message of every deployment still in flight. The
 * in-process bus loses what it held when the platform died; handlers are idempotent, so a message that
 * RabbitMQ still holds is merely delivered twice. Returns the deployments resumed.
 */
export async function resumeInFlight(db: Db): Promise<string[]> {
  const rows = await db
    .select({ id: schema.deployments.id })
    .from(schema.deployments)
    .where(inArray(schema.deployments.state, IN_FLIGHT));
  const inFlight = rows.map((d) => d.id);
  const resumed: string[] = [];
  for (const id of inFlight) {
    const [last] = await db
      .select({ queue: schema.outbox.queue, payload: schema.outbox.payload })
      .from(schema.outbox)
      .where(
        and(
          inArray(schema.outbox.queue, ["BUILD", "DEPLOY"]),
          sql`${schema.outbox.payload}->>'deploymentId' = ${id}`,
        ),
      )
      .orderBy(desc(schema.outbox.seq))
      .limit(1);
    if (!last) continue;
    await enqueueMessage(db, last.queue as "BUILD" | "DEPLOY", last.payload);
    resumed.push(id);
  }
  return resumed;
}
