import { ConflictError, NotFoundError } from "@kli8nt/core";
import {
  type AddonBackupRow,
  type AddonRow,
  type Db,
  getAppAddon,
  getBackup,
  listAddonBackups,
  listFinalDumps,
  requestAddonDeletion,
  requestBackup,
  requestRestore,
} from "@kli8nt/db";
import { appNamespace, postgresAddonNames } from "@kli8nt/manifests";

// Cluster mode's backups, restores and deletes (ADR 0228): the api never talks to the cluster (ADR 0226).
// It writes request rows; the deploy controller executes them and records their outcome on the same rows.

/** A backup as the api lists it, in either mode; a local one is a file, so always `done`. */
export interface BackupItem {
  readonly id: string;
  readonly kind: "manual" | "nightly" | "final" | null;
  readonly status: "requested" | "running" | "done" | "error";
  readonly detail: string | null;
  readonly createdAt: string;
  readonly sizeBytes: number | null;
}

/** A final dump of an add-on that is gone (or going), restorable into a new one of the same app. */
export interface DumpItem {
  readonly id: string;
  readonly database: string;
  readonly createdAt: string;
  readonly sizeBytes: number | null;
  readonly status: BackupItem["status"];
}

export function backupItem(row: AddonBackupRow): BackupItem {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    detail: row.detail,
    createdAt: row.createdAt.toISOString(),
    sizeBytes: row.sizeBytes,
  };
}

/** A local backup file as a list item: taken, so `done`; its kind is not recorded. */
export function localItem(b: { id: string; createdAt: string; sizeBytes: number }): BackupItem {
  return {
    id: b.id,
    kind: null,
    status: "done",
    detail: null,
    createdAt: b.createdAt,
    sizeBytes: b.sizeBytes,
  };
}

export function dumpItem(row: AddonBackupRow): DumpItem {
  const { id, database, status, sizeBytes } = row;
  return { id, database, createdAt: row.createdAt.toISOString(), sizeBytes, status };
}

function requireReady(row: AddonRow, what: string): void {
  if (row.status === "ready") return;
  throw new ConflictError(
    "ADDON_NOT_READY",
    `The add-on is ${row.status}${row.detail ? ` (${row.detail})` : ""}; ${what} once it is ready`,
    { details: { id: row.id, status: row.status } },
  );
}

/** Requests a backup the controller takes; one at a time per add-on. */
export async function requestClusterBackup(db: Db, app: { id: string }, id: string): Promise<BackupItem> {
  const row = await getAppAddon(db, app.id, id);
  requireReady(row, "it can be backed up");
  const pending = (await listAddonBackups(db, id)).find(
    (b) => b.status === "requested" || b.status === "running",
  );
  if (pending) {
    throw new ConflictError(
      "BACKUP_IN_PROGRESS",
      `Backup ${pending.id} of this add-on is already ${pending.status}; wait for it to finish`,
      { details: { id: pending.id, status: pending.status } },
    );
  }
  return backupItem(
    await requestBackup(db, { appId: app.id, addonId: id, database: row.database, kind: "manual" }),
  );
}

export async function listClusterBackups(db: Db, app: { id: string }, id: string): Promise<BackupItem[]> {
  await getAppAddon(db, app.id, id);
  return (await listAddonBackups(db, id)).map(backupItem);
}

/** Requests a restore of one of the app's finished backups (any of its add-ons' or a final dump). */
export async function requestClusterRestore(
  db: Db,
  app: { id: string },
  id: string,
  backupId: string,
): Promise<void> {
  await getAppAddon(db, app.id, id);
  await requestRestore(db, id, backupId);
}

/** Marks the add-on `deleting` with its final dump requested; the controller removes it after the dump. */
export async function removeClusterAddon(
  db: Db,
  app: { id: string },
  id: string,
): Promise<{ id: string; dump: { id: string; path: null } }> {
  await getAppAddon(db, app.id, id);
  const final = await requestAddonDeletion(db, id);
  return { id, dump: { id: final.id, path: null } };
}

/**
 * A final dump of this app to restore into a new add-on: 404 for an unknown id or another app's (the same
 * answer, so ids of other apps cannot be probed), 409 until the dump is done.
 */
export async function finalDumpOf(db: Db, app: { id: string }, dumpId: string): Promise<AddonBackupRow> {
  const row = await getBackup(db, dumpId);
  if (!row || row.appId !== app.id || row.kind !== "final") {
    throw new NotFoundError("ADDON_DUMP_NOT_FOUND", `No final dump ${dumpId} of this app`, {
      details: { id: dumpId },
    });
  }
  if (row.status !== "done") {
    throw new ConflictError(
      "ADDON_DUMP_NOT_DONE",
      `Final dump ${dumpId} is ${row.status}${row.detail ? ` (${row.detail})` : ""}; only a finished dump can be restored`,
      { details: { id: dumpId, status: row.status } },
    );
  }
  return row;
}

export async function listDumps(db: Db, app: { id: string }): Promise<DumpItem[]> {
  return (await listFinalDumps(db, app.id)).map(dumpItem);
}

/** Where `kli8nt psql` execs psql for a cluster add-on: its pod, as packages/manifests names it. */
export interface ClusterTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly database: string;
  readonly user: string;
}

export function clusterTarget(namespacePrefix: string, app: { name: string }, row: AddonRow): ClusterTarget {
  requireReady(row, "a psql session can open");
  return {
    namespace: appNamespace(namespacePrefix, app.name),
    // The StatefulSet's one replica; its container is `postgres` (packages/manifests' renderPostgresAddon).
    pod: `${postgresAddonNames(app.name).workload}-0`,
    container: "postgres",
    database: row.database,
    user: row.role,
  };
}
