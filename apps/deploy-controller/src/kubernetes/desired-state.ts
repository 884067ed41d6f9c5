import { type Db, resolveEnv, type SecretBox, schema } from "@kli8nt/db";
import { desc, inArray } from "drizzle-orm";
import type { DesiredApp } from "./reconcile-all.ts";

const DEFAULT_PORT = 3000;

interface LiveRow {
  readonly id: string;
  readonly appId: string;
  readonly image: string | null;
}

/**
 * The desired state of every app, read from the database: its newest live release (image, the port it
 * was deployed with, its variables) and whether a deploy is in flight. A handful of queries plus one per
 * live app for its variables (decryption is per app).
 */
export async function readDesiredState(db: Db, box: SecretBox): Promise<DesiredApp[]> {
  const apps = await db.select({ id: schema.apps.id, name: schema.apps.name }).from(schema.apps);
  const rows = await db
    .select({
      id: schema.deployments.id,
      appId: schema.deployments.appId,
      image: schema.deployments.image,
      state: schema.deployments.state,
    })
    .from(schema.deployments)
    .where(inArray(schema.deployments.state, ["live", "deploying"]))
    .orderBy(desc(schema.deployments.number));
  const live = new Map<string, LiveRow>();
  const deploying = new Map<string, string>();
  for (const row of rows) {
    if (row.state === "deploying") deploying.set(row.appId, row.id);
    else if (!live.has(row.appId) && row.image) live.set(row.appId, row);
  }
  const ports = await releasePorts(
    db,
    [...live.values()].map((r) => r.id),
  );
  const desired: DesiredApp[] = [];
  for (const app of apps) {
    const row = live.get(app.id);
    const env = row ? await resolveEnv(db, box, app.id) : [];
    desired.push({
      app,
      deploying: deploying.has(app.id),
      deployingId: deploying.get(app.id),
      live:
        row?.image == null
          ? null
          : {
              app,
              release: { deploymentId: row.id, image: row.image, port: ports.get(row.id) ?? DEFAULT_PORT },
              env: Object.fromEntries(env.map((v) => [v.key, v.value])),
            },
    });
  }
  return desired;
}

/** The port each release was deployed with (`deployments.port`), in one query. */
async function releasePorts(db: Db, deploymentIds: readonly string[]): Promise<Map<string, number>> {
  const ports = new Map<string, number>();
  if (deploymentIds.length === 0) return ports;
  const rows = await db
    .select({ id: schema.deployments.id, port: schema.deployments.port })
    .from(schema.deployments)
    .where(inArray(schema.deployments.id, [...deploymentIds]));
  for (const row of rows) if (row.port !== null) ports.set(row.id, row.port);
  return ports;
}
