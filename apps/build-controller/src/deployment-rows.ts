import type { BuildSettings, Deployment } from "@kli8nt/core";
import { type Db, schema, toDeployment } from "@kli8nt/db";
import { and, desc, eq, gt } from "drizzle-orm";

export { loadDeployment } from "@kli8nt/db";

/** The app's port override (null when the plan decides). */
export async function appPort(db: Db, appId: string): Promise<number | null> {
  const [row] = await db
    .select({ port: schema.apps.port })
    .from(schema.apps)
    .where(eq(schema.apps.id, appId));
  return row?.port ?? null;
}

/** The app's settings that override the build plan (empty when it is gone or has none). */
export async function appBuildSettings(db: Db, appId: string): Promise<BuildSettings> {
  const [row] = await db
    .select({ buildSettings: schema.apps.buildSettings })
    .from(schema.apps)
    .where(eq(schema.apps.id, appId));
  return row?.buildSettings ?? {};
}

/** The newest deployment of the app created after `number`, if any (a queued build it makes pointless). */
export async function newerDeployment(db: Db, appId: string, number: number): Promise<Deployment | null> {
  const [row] = await db
    .select()
    .from(schema.deployments)
    .where(and(eq(schema.deployments.appId, appId), gt(schema.deployments.number, number)))
    .orderBy(desc(schema.deployments.number))
    .limit(1);
  return row ? toDeployment(row) : null;
}
