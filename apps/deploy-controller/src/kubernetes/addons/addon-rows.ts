import {
  type Db,
  deleteAddonRow,
  getBackup,
  listAddonBackups,
  markBackup,
  markRestore,
  PASSWORD_IN_CLUSTER,
  pendingBackups,
  requestBackup,
  schema,
  updateAddon,
} from "@kli8nt/db";
import type { Exec } from "@kubernetes/client-node";
import { and, eq, inArray } from "drizzle-orm";
import type { DeployLogger } from "../../deploy-handler.ts";
import type { KubernetesDeployer } from "../kubernetes-deployer.ts";
import type { DesiredApp } from "../reconcile-all.ts";
import { type BackupAddonView, type BackupStore, convergeBackups } from "./addon-backups.ts";
import { DEFAULT_BACKUP_SETTINGS } from "./backup-jobs.ts";
import {
  type ClusterAddonRow,
  type ClusterAddonSettings,
  cnpgInstalled,
  syncPostgresAddons,
} from "./postgres-addons.ts";

/** The cluster add-on rows (password in the cluster's Secret only) of the desired apps. */
export async function readClusterAddons(
  db: Db,
  desired: readonly DesiredApp[],
): Promise<(ClusterAddonRow & BackupAddonView)[]> {
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
    appId: r.appId,
    appName: names.get(r.appId) ?? "",
    database: r.database,
    role: r.role,
    status: r.status,
    detail: r.detail,
    sizeBytes: r.sizeBytes,
    createdAt: r.createdAt,
    restoreBackupId: r.restoreBackupId,
    restoreStatus: r.restoreStatus,
    restoreDetail: r.restoreDetail,
  }));
}

/** packages/db's addon-backups repo as the backup pass's store. */
export function backupStore(db: Db): BackupStore {
  return {
    pendingBackups: () => pendingBackups(db),
    addonBackups: (addonId) => listAddonBackups(db, addonId),
    getBackup: (id) => getBackup(db, id),
    requestBackup: async (addon, kind) => {
      await requestBackup(db, { appId: addon.appId, addonId: addon.id, database: addon.database, kind });
    },
    markBackup: (id, change) => markBackup(db, id, change),
    markRestore: (addonId, change) => markRestore(db, addonId, change),
    updateAddon: (id, change) => updateAddon(db, id, change),
    deleteAddon: (id) => deleteAddonRow(db, id),
  };
}

/** What the add-on passes keep between resyncs: exec for sizes, and when each size was last read. */
export interface AddonPassState {
  readonly exec?: Exec | undefined;
  readonly sizeReadAt: Map<string, number>;
  readonly now?: (() => number) | undefined;
}

/**
 * One add-on pass of the resync (ADR 0226, 0229): rows → objects → statuses back into the rows, then the
 * backup requests, restores, deletes, nightly backups and sizes. A failure is logged and left to the next
 * resync; it never fails the apps' own reconcile.
 */
export async function convergeAddons(
  db: Db,
  deployer: KubernetesDeployer,
  desired: readonly DesiredApp[],
  settings: ClusterAddonSettings,
  logger: Pick<DeployLogger, "warn">,
  state: AddonPassState = { sizeReadAt: new Map() },
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
    const changed = new Map(updates.map((u) => [u.id, u]));
    await convergeBackups(
      backupStore(db),
      {
        api: deployer.api,
        namespacePrefix: deployer.settings.namespacePrefix,
        settings,
        backups: settings.backups ?? DEFAULT_BACKUP_SETTINGS,
        cnpg: await cnpgInstalled(deployer.api),
        exec: state.exec,
        sizeReadAt: state.sizeReadAt,
        now: state.now,
        logger,
      },
      rows.map((r) => ({ ...r, ...changed.get(r.id) })),
    );
    return updates.length;
  } catch (error) {
    logger.warn({ err: error }, "Syncing add-ons failed; the next resync retries");
    return 0;
  }
}
