import { type Db, PASSWORD_IN_CLUSTER, schema, updateAddon } from "@kli8nt/db";
import { and, eq, inArray } from "drizzle-orm";
import type { DeployLogger } from "../../deploy-handler.ts";
import type { KubernetesDeployer } from "../kubernetes-deployer.ts";
import type { DesiredApp } from "../reconcile-all.ts";
import { type ClusterAddonRow, type ClusterAddonSettings, syncPostgresAddons } from "./postgres-addons.ts";

/** The cluster add-on rows (password in the cluster's Secret only) of the desired apps. */
export async function readClusterAddons(db: Db, desired: readonly DesiredApp[]): Promise<ClusterAddonRow[]> {
  if (desired.length === 0) return [];
  const names = new Map(desired.map((d) => [d.app.id, d.app.name]));
  const rows = await db
    .select()
    .from(schema.addons)
    .where(
      and(
        inArray(schema.addons.appId, [...names.keys()]),
        eq(schema.addons.type, "postgres"),
        eq(schema.addons.passwordEnc, PASSWORD_IN_CLUSTER),
      ),
    );
  return rows.map((r) => ({
    id: r.id,
    appName: names.get(r.appId) ?? "",
    database: r.database,
    role: r.role,
    status: r.status,
    detail: r.detail,
  }));
}

/**
 * One add-on pass of the resync (ADR 0226): rows → objects → statuses back into the rows. A failure is
 * logged and left to the next resync; it never fails the apps' own reconcile.
 */
export async function convergeAddons(
  db: Db,
  deployer: KubernetesDeployer,
  desired: readonly DesiredApp[],
  settings: ClusterAddonSettings,
  logger: Pick<DeployLogger, "warn">,
): Promise<number> {
  try {
    const rows = await readClusterAddons(db, desired);
    const updates = await syncPostgresAddons(
      deployer.api,
      deployer.settings.namespacePrefix,
      settings,
      desired.map((d) => d.app.name),
      rows,
    );
    for (const u of updates) await updateAddon(db, u.id, { status: u.status, detail: u.detail });
    return updates.length;
  } catch (error) {
    logger.warn({ err: error }, "Syncing add-ons failed; the next resync retries");
    return 0;
  }
}
