import type { DeployRequested } from "@kli8nt/core";
import { type Db, schema } from "@kli8nt/db";
import { eq, sql } from "drizzle-orm";

/**
 * Keeps the port of a release on its deployment row (`deployments.port`). In cluster mode the build
 * controller publishes DEPLOY straight to RabbitMQ (it has no database), so without this the resync
 * (readDesiredState, ADR 0101) would not know the release's port and would re-apply the default. The
 * first request wins: a redelivery writes nothing new.
 */
export async function recordDeployRequest(db: Db, message: DeployRequested): Promise<void> {
  await db
    .update(schema.deployments)
    .set({ port: sql`coalesce(${schema.deployments.port}, ${message.port})` })
    .where(eq(schema.deployments.id, message.deploymentId));
}
