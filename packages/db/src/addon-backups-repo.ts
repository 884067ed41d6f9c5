import { randomUUID } from "node:crypto";
import { ConflictError, NotFoundError } from "@kli8nt/core";
import { and, desc, eq, inArray, isNull, max, ne, or } from "drizzle-orm";
import type { Db } from "./database.ts";
import { addonBackups, addons } from "./schema.ts";

/**
 * Backups of cluster add-ons as rows (ADR 0228): the api writes requests, the deploy controller executes
 * them and marks them. Restores are columns of the add-on, as one add-on runs at most one at a time.
 */

export type AddonBackupRow = typeof addonBackups.$inferSelect;
export type BackupKind = AddonBackupRow["kind"];
export type BackupStatus = AddonBackupRow["status"];
type AddonRow = typeof addons.$inferSelect;

const PENDING: BackupStatus[] = ["requested", "running"];

export async function requestBackup(
  db: Db,
  request: { appId: string; addonId: string | null; database: string; kind: BackupKind },
): Promise<AddonBackupRow> {
  const [row] = await db
    .insert(addonBackups)
    .values({ id: `bk_${randomUUID().replaceAll("-", "")}`, ...request })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

/** An add-on's backups, newest first. */
export function listAddonBackups(db: Db, addonId: string): Promise<AddonBackupRow[]> {
  return db
    .select()
    .from(addonBackups)
    .where(eq(addonBackups.addonId, addonId))
    .orderBy(desc(addonBackups.createdAt), desc(addonBackups.id));
}

/** An app's final dumps, of add-ons gone or still being deleted, newest first. */
export function listFinalDumps(db: Db, appId: string): Promise<AddonBackupRow[]> {
  return db
    .select()
    .from(addonBackups)
    .where(and(eq(addonBackups.appId, appId), eq(addonBackups.kind, "final")))
    .orderBy(desc(addonBackups.createdAt), desc(addonBackups.id));
}

export async function getBackup(db: Db, id: string): Promise<AddonBackupRow | undefined> {
  const [row] = await db.select().from(addonBackups).where(eq(addonBackups.id, id));
  return row;
}

/** The requests the controller has still to finish, oldest first. */
export function pendingBackups(db: Db): Promise<AddonBackupRow[]> {
  return db
    .select()
    .from(addonBackups)
    .where(inArray(addonBackups.status, PENDING))
    .orderBy(addonBackups.createdAt, addonBackups.id);
}

/** The controller's report on a request; `done` and `error` stamp `finished_at`. */
export async function markBackup(
  db: Db,
  id: string,
  change: {
    status: BackupStatus;
    detail?: string | null;
    sizeBytes?: number | null;
    location?: string | null;
  },
): Promise<void> {
  const now = new Date();
  const finished = change.status === "done" || change.status === "error";
  await db
    .update(addonBackups)
    .set({ ...change, updatedAt: now, ...(finished ? { finishedAt: now } : {}) })
    .where(eq(addonBackups.id, id));
}

/**
 * Asks for a restore of one of the app's finished backups into a ready add-on. 404 for a backup of another
 * app or none, 409 while the add-on is not ready, the backup not done, or a restore is already under way.
 * The update is conditional, so two requests at once cannot both win.
 */
export async function requestRestore(db: Db, addonId: string, backupId: string): Promise<AddonRow> {
  const [addon] = await db.select().from(addons).where(eq(addons.id, addonId));
  if (!addon)
    throw new NotFoundError("ADDON_NOT_FOUND", `No add-on ${addonId}`, { details: { id: addonId } });
  const backup = await getBackup(db, backupId);
  if (!backup || backup.appId !== addon.appId) {
    throw new NotFoundError("BACKUP_NOT_FOUND", `No backup ${backupId} of this app`, {
      details: { id: backupId },
    });
  }
  if (backup.status !== "done") {
    throw new ConflictError(
      "BACKUP_NOT_DONE",
      `Backup ${backupId} is ${backup.status}; only a finished backup can be restored`,
      { details: { id: backupId, status: backup.status } },
    );
  }
  const [row] = await db
    .update(addons)
    .set({
      restoreBackupId: backupId,
      restoreStatus: "requested",
      restoreDetail: null,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(addons.id, addonId),
        eq(addons.status, "ready"),
        or(isNull(addons.restoreStatus), inArray(addons.restoreStatus, ["done", "error"])),
      ),
    )
    .returning();
  if (row) return row;
  const busy = addon.restoreStatus === "requested" || addon.restoreStatus === "running";
  throw new ConflictError(
    busy ? "RESTORE_IN_PROGRESS" : "ADDON_NOT_READY",
    busy
      ? `A restore of ${addon.restoreBackupId} is already ${addon.restoreStatus} on this add-on; wait for it to finish`
      : `The add-on is ${addon.status}; a backup can be restored once it is ready`,
    { details: { id: addonId, status: addon.status, restoreStatus: addon.restoreStatus } },
  );
}

/** Add-ons with a restore the controller has still to finish. */
export function pendingRestores(db: Db): Promise<AddonRow[]> {
  return db.select().from(addons).where(inArray(addons.restoreStatus, PENDING)).orderBy(addons.updatedAt);
}

export async function markRestore(
  db: Db,
  addonId: string,
  change: { status: BackupStatus; detail?: string | null },
): Promise<void> {
  await db
    .update(addons)
    .set({
      restoreStatus: change.status,
      ...(change.detail !== undefined ? { restoreDetail: change.detail } : {}),
      updatedAt: new Date(),
    })
    .where(eq(addons.id, addonId));
}

/** When the add-on's newest backup row (any kind or status) was requested; null: never. */
export async function latestBackupAt(db: Db, addonId: string): Promise<Date | null> {
  const [row] = await db
    .select({ at: max(addonBackups.createdAt) })
    .from(addonBackups)
    .where(eq(addonBackups.addonId, addonId));
  return row?.at ?? null;
}

/**
 * Cluster mode's delete (ADR 0228): marks the add-on `deleting` and requests its final dump, in one
 * transaction; the controller removes the add-on once the dump is done. Asked again, it answers the final
 * dump already requested, so a retried delete never asks for two.
 */
export async function requestAddonDeletion(db: Db, addonId: string): Promise<AddonBackupRow> {
  return db.transaction(async (tx) => {
    const [marked] = await tx
      .update(addons)
      .set({ status: "deleting", detail: "Deleting after its final dump", updatedAt: new Date() })
      .where(and(eq(addons.id, addonId), ne(addons.status, "deleting")))
      .returning();
    if (marked) {
      const [row] = await tx
        .insert(addonBackups)
        .values({
          id: `bk_${randomUUID().replaceAll("-", "")}`,
          appId: marked.appId,
          addonId,
          database: marked.database,
          kind: "final",
        })
        .returning();
      if (!row) throw new Error("insert returned no row");
      return row;
    }
    const [final] = await tx
      .select()
      .from(addonBackups)
      .where(and(eq(addonBackups.addonId, addonId), eq(addonBackups.kind, "final")))
      .orderBy(desc(addonBackups.createdAt))
      .limit(1);
    if (!final)
      throw new NotFoundError("ADDON_NOT_FOUND", `No add-on ${addonId}`, { details: { id: addonId } });
    return final;
  });
}
