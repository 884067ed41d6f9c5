import { type App, ConflictError, type Deployment, type DeployRequested, newId } from "@kli8nt/core";
import { type Db, enqueueMessage, schema, toDeployment } from "@kli8nt/db";
import { eq, sql } from "drizzle-orm";

/**
 * Creates a rollback deployment that reuses `target`'s image (no build) and queues its DeployRequested in
 * the same transaction. Only an earlier successful release (live once, now superseded) qualifies.
 */
export async function createRollback(db: Db, app: App, target: Deployment): Promise<Deployment> {
  if (target.appId !== app.id) {
    throw new ConflictError(
      "ROLLBACK_TARGET_INVALID",
      `Deployment ${target.id} is not a release of ${app.name}`,
    );
  }
  if (target.state === "live") {
    throw new ConflictError("ROLLBACK_TARGET_LIVE", `v${target.number} is already the live release`);
  }
  if (target.state !== "superseded" || target.image === null) {
    throw new ConflictError(
      "ROLLBACK_TARGET_INVALID",
      `v${target.number} never went live (it is ${target.state}); roll back to an earlier live release`,
      { details: { state: target.state } },
    );
  }
  const image = target.image;
  // The port the target was deployed with: a rollback must listen where that release listened.
  const port = target.port ?? app.port ?? 3000;
  return db.transaction(async (tx) => {
    await tx.select({ id: schema.apps.id }).from(schema.apps).where(eq(schema.apps.id, app.id)).for("update");
    const [max] = await tx
      .select({ n: sql<number>`coalesce(max(${schema.deployments.number}), 0)::int` })
      .from(schema.deployments)
      .where(eq(schema.deployments.appId, app.id));
    const [row] = await tx
      .insert(schema.deployments)
      .values({
        id: newId("dep"),
        appId: app.id,
        number: (max?.n ?? 0) + 1,
        state: "queued",
        trigger: "rollback",
        ref: target.ref,
        commitSha: target.commitSha,
        image,
        port,
        rollbackOf: target.id,
      })
      .returning();
    if (!row) throw new Error("insert into deployments returned no row");
    const message: DeployRequested = {
      type: "DeployRequested",
      version: 1,
      deploymentId: row.id,
      appId: app.id,
      appName: app.name,
      image,
      port,
      requestedAt: row.createdAt.toISOString(),
    };
    await enqueueMessage(tx, "DEPLOY", message);
    return toDeployment(row);
  });
}
