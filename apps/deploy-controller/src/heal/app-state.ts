import type { Deployment } from "@kli8nt/core";
import { type Db, schema, toDeployment } from "@kli8nt/db";
import { and, desc, eq, inArray } from "drizzle-orm";

/** What the database wants for one app: does it exist, its newest live release, a deploy under way. */
export interface DesiredApp {
  readonly app: { readonly id: string; readonly name: string } | null;
  readonly live: Deployment | null;
  /** The deployment being deployed, if any. */
  readonly deploying: string | null;
}

export async function readDesiredApp(db: Db, appName: string): Promise<DesiredApp> {
  const [app] = await db
    .select({ id: schema.apps.id, name: schema.apps.name })
    .from(schema.apps)
    .where(eq(schema.apps.name, appName));
  if (!app) return { app: null, live: null, deploying: null };
  const rows = await db
    .select()
    .from(schema.deployments)
    .where(
      and(eq(schema.deployments.appId, app.id), inArray(schema.deployments.state, ["live", "deploying"])),
    )
    .orderBy(desc(schema.deployments.number));
  const live = rows.find((r) => r.state === "live");
  return {
    app,
    live: live ? toDeployment(live) : null,
    deploying: rows.find((r) => r.state === "deploying")?.id ?? null,
  };
}

/** Every app name the database knows (the resync enqueues them all). */
export async function appNames(db: Db): Promise<string[]> {
  return (await db.select({ name: schema.apps.name }).from(schema.apps)).map((r) => r.name);
}
