import { DEFAULT_FORMATION, type FormationDefaults } from "@kli8nt/core";
import { type Db, type SecretBox, schema } from "@kli8nt/db";
import { and, desc, eq, inArray } from "drizzle-orm";
import { desiredRelease } from "../desired-release.ts";
import { appReleaseOf } from "./app-release.ts";
import type { DesiredApp } from "./reconcile-all.ts";

const DEFAULT_PORT = 3000;

interface LiveRow {
  readonly id: string;
  readonly appId: string;
  readonly image: string | null;
}

/**
 * The desired state of every app, read from the database: its newest live release (image, the port it
 * was deployed with, its formation and variables, as the deploy handler renders them) and whether a deploy
 * is in flight. A handful of queries plus a few per live app (decryption is per app).
 */
export async function readDesiredState(
  db: Db,
  box: SecretBox,
  defaults: FormationDefaults = DEFAULT_FORMATION,
): Promise<DesiredApp[]> {
  const apps = await db.select({ id: schema.apps.id, name: schema.apps.name }).from(schema.apps);
  return desiredOf(db, box, apps, defaults, undefined);
}

/** One app's desired state, as readDesiredState reads it; null when the app is gone. */
export async function readDesiredApp(
  db: Db,
  box: SecretBox,
  appName: string,
  defaults: FormationDefaults = DEFAULT_FORMATION,
): Promise<DesiredApp | null> {
  const apps = await db
    .select({ id: schema.apps.id, name: schema.apps.name })
    .from(schema.apps)
    .where(eq(schema.apps.name, appName));
  const [app] = apps;
  if (!app) return null;
  return (await desiredOf(db, box, apps, defaults, app.id))[0] ?? null;
}

async function desiredOf(
  db: Db,
  box: SecretBox,
  apps: ReadonlyArray<{ id: string; name: string }>,
  defaults: FormationDefaults,
  onlyAppId: string | undefined,
): Promise<DesiredApp[]> {
  const inFlight = inArray(schema.deployments.state, ["live", "deploying"]);
  const rows = await db
    .select({
      id: schema.deployments.id,
      appId: schema.deployments.appId,
      image: schema.deployments.image,
      state: schema.deployments.state,
    })
    .from(schema.deployments)
    .where(onlyAppId === undefined ? inFlight : and(inFlight, eq(schema.deployments.appId, onlyAppId)))
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
    const release = row?.image
      ? await desiredRelease(db, box, { ...row, port: ports.get(row.id) ?? DEFAULT_PORT }, defaults)
      : null;
    desired.push({
      app,
      deploying: deploying.has(app.id),
      deployingId: deploying.get(app.id),
      live: release ? appReleaseOf(release) : null,
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
