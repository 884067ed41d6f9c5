import {
  type App,
  type AppChanged,
  type FormationDefaults,
  formationOf,
  NotFoundError,
  type ProcessFormation,
} from "@kli8nt/core";
import { and, desc, eq, inArray, isNotNull, or, sql } from "drizzle-orm";
import { toApp } from "./apps-repo.ts";
import { enqueueMessage, type Tx } from "./outbox.ts";
import { apps, deployments, type FormationSettings } from "./schema.ts";

type Processes = Record<string, string | null>;

/** The process types an app's current release declares, and whether it has a release at all. */
export interface ReleaseProcesses {
  /** null: no release recorded any (a release from before process types ran `web` only). */
  readonly processes: Processes | null;
  /** True once a release is live or has recorded its types: then only those types can be sized. */
  readonly released: boolean;
}

interface ReleaseRow {
  readonly appId: string;
  readonly state: string;
  readonly processes: Processes | null;
  readonly rollbackOf: string | null;
}

/**
 * Per app: its newest live deployment, else its newest deployment with recorded process types. One indexed
 * query for any number of apps (DISTINCT ON), plus one for live rollbacks, which run their original's types.
 */
async function releaseRows(tx: Tx, appIds: readonly string[]): Promise<Map<string, ReleaseProcesses>> {
  if (appIds.length === 0) return new Map();
  const rows: ReleaseRow[] = await tx
    .selectDistinctOn([deployments.appId], {
      appId: deployments.appId,
      state: deployments.state,
      processes: deployments.processes,
      rollbackOf: deployments.rollbackOf,
    })
    .from(deployments)
    .where(
      and(
        inArray(deployments.appId, [...appIds]),
        or(eq(deployments.state, "live"), isNotNull(deployments.processes)),
      ),
    )
    .orderBy(deployments.appId, desc(sql`${deployments.state} = 'live'`), desc(deployments.number));
  const originals = rows.flatMap((r) => (r.processes === null && r.rollbackOf ? [r.rollbackOf] : []));
  const byId = new Map<string, Processes | null>();
  if (originals.length > 0) {
    const found = await tx
      .select({ id: deployments.id, processes: deployments.processes })
      .from(deployments)
      .where(inArray(deployments.id, originals));
    for (const f of found) byId.set(f.id, f.processes);
  }
  return new Map(
    rows.map((r) => [
      r.appId,
      {
        processes: r.processes ?? (r.rollbackOf ? (byId.get(r.rollbackOf) ?? null) : null),
        released: true,
      },
    ]),
  );
}

export async function releaseProcesses(tx: Tx, appId: string): Promise<ReleaseProcesses> {
  return (await releaseRows(tx, [appId])).get(appId) ?? { processes: null, released: false };
}

/** An app's formation as the runtime runs it: the release's types with the app's counts and sizes. */
export async function formationOfApp(
  tx: Tx,
  app: Pick<App, "id">,
  defaults: FormationDefaults,
): Promise<{ processes: ProcessFormation[]; overrides: FormationSettings; stopped: boolean }> {
  const [row] = await tx
    .select({ formation: apps.formation, stopped: apps.stopped })
    .from(apps)
    .where(eq(apps.id, app.id));
  if (!row) throw new NotFoundError("APP_NOT_FOUND", "The app was deleted");
  const { processes } = await releaseProcesses(tx, app.id);
  return {
    processes: formationOf(processes, row.formation, defaults, row.stopped),
    overrides: row.formation,
    stopped: row.stopped,
  };
}

/** Instances each app of the platform runs (a stopped app none), with its owner: what the limits count. */
export async function instanceCounts(
  tx: Tx,
  defaults: FormationDefaults,
): Promise<Array<{ appId: string; ownerId: string; instances: number }>> {
  const rows = await tx
    .select({ id: apps.id, ownerId: apps.ownerId, formation: apps.formation, stopped: apps.stopped })
    .from(apps);
  const releases = await releaseRows(
    tx,
    rows.filter((r) => !r.stopped).map((r) => r.id),
  );
  return rows.map((r) => ({
    appId: r.id,
    ownerId: r.ownerId,
    instances: r.stopped
      ? 0
      : formationOf(releases.get(r.id)?.processes ?? null, r.formation, defaults).reduce(
          (sum, p) => sum + p.count,
          0,
        ),
  }));
}

/** Serialises formation changes platform-wide, so two requests cannot both pass a limit (released at commit). */
export async function lockFormations(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('kli8nt.formation'))`);
}

export async function saveFormation(tx: Tx, appId: string, formation: FormationSettings): Promise<void> {
  await tx.update(apps).set({ formation, updatedAt: new Date() }).where(eq(apps.id, appId));
}

/** Stop, start or ask for a rolling restart; returns the app as it now is. */
export async function setAppLifecycle(
  tx: Tx,
  appId: string,
  change: { readonly stopped?: boolean; readonly restartedAt?: Date },
): Promise<App> {
  const [row] = await tx
    .update(apps)
    .set({ ...change, updatedAt: new Date() })
    .where(eq(apps.id, appId))
    .returning();
  if (!row) throw new NotFoundError("APP_NOT_FOUND", "The app was deleted");
  return toApp(row);
}

/** Tells the controllers, through the outbox of the caller's transaction, that the app should converge. */
export async function enqueueAppChanged(
  tx: Tx,
  app: Pick<App, "id" | "name">,
  what: AppChanged["what"],
  at: Date = new Date(),
): Promise<void> {
  const message: AppChanged = {
    type: "AppChanged",
    version: 1,
    appId: app.id,
    appName: app.name,
    what,
    at: at.toISOString(),
  };
  await enqueueMessage(tx, "APP", message);
}
