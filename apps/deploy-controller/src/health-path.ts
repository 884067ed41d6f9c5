import { type Db, schema } from "@kli8nt/db";
import { eq } from "drizzle-orm";

/** The path the app's settings name for the health check (ADR 0156), else `/`. */
export async function appHealthPath(db: Db, appId: string): Promise<string> {
  const [row] = await db
    .select({ settings: schema.apps.buildSettings })
    .from(schema.apps)
    .where(eq(schema.apps.id, appId));
  return row?.settings.healthCheckPath ?? "/";
}
