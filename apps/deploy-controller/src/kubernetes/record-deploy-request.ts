import { type DeployRequested, newId } from "@kli8nt/core";
import { type Db, deployedPort, schema } from "@kli8nt/db";

/**
 * Keeps the DeployRequested of a release in the outbox, already marked published. In cluster mode the
 * build controller publishes DEPLOY straight to RabbitMQ (it has no database), so without this row the
 * resync (readDesiredState, ADR 0101) would not know the release's port and would re-apply the default.
 * One row per deployment: a redelivery finds it and writes nothing.
 */
export async function recordDeployRequest(db: Db, message: DeployRequested): Promise<void> {
  if ((await deployedPort(db, message.deploymentId)) !== null) return;
  await db.insert(schema.outbox).values({
    messageId: newId("msg"),
    queue: "DEPLOY",
    payload: message,
    publishedAt: new Date(),
  });
}
