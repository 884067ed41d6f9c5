import { appNamespace, renderCnpgScheduledBackup } from "@kli8nt/manifests";
import type { Exec, KubernetesObject } from "@kubernetes/client-node";
import type { DeployLogger } from "../../deploy-handler.ts";
import { applyObject, describeApiError, type KubeApi } from "../kube-api.ts";
import { execDatabaseSize } from "./addon-size.ts";
import {
  type AddonPlace,
  type ClusterBackupSettings,
  deleteAddonObjects,
  type JobOutcome,
  stepBackup,
  stepRestore,
} from "./backup-jobs.ts";
import type { ClusterAddonSettings } from "./postgres-addons.ts";

/**
 * The backup pass of the resync (ADR 0229), after the add-ons' own: it executes the request rows the api
 * writes (backups, restores, deletes with their final dump), requests the nightly ones, and reads sizes.
 * Everything it knows lives in the rows and the cluster, so a restarted controller carries on.
 */

export type BackupKind = "manual" | "nightly" | "final";
export type BackupStatus = "requested" | "running" | "done" | "error";

export interface BackupRowView {
  readonly id: string;
  readonly addonId: string | null;
  readonly kind: BackupKind;
  readonly status: BackupStatus;
  readonly detail: string | null;
  readonly sizeBytes: number | null;
  readonly location: string | null;
  readonly createdAt: Date;
}

/** An add-on row as this pass needs it. */
export interface BackupAddonView {
  readonly id: string;
  readonly appId: string;
  readonly appName: string;
  readonly database: string;
  readonly status: "provisioning" | "ready" | "error" | "deleting";
  readonly detail: string | null;
  readonly sizeBytes: number | null;
  readonly createdAt: Date;
  readonly restoreBackupId: string | null;
  readonly restoreStatus: BackupStatus | null;
  readonly restoreDetail: string | null;
}

/** The rows this pass reads and writes (packages/db's addon-backups repo, adapted in addon-rows.ts). */
export interface BackupStore {
  pendingBackups(): Promise<BackupRowView[]>;
  addonBackups(addonId: string): Promise<BackupRowView[]>;
  getBackup(id: string): Promise<BackupRowView | undefined>;
  requestBackup(addon: BackupAddonView, kind: BackupKind): Promise<void>;
  markBackup(
    id: string,
    change: { status: BackupStatus; detail?: string | null; sizeBytes?: number | null; location?: string },
  ): Promise<void>;
  markRestore(addonId: string, change: { status: BackupStatus; detail?: string | null }): Promise<void>;
  updateAddon(id: string, change: { detail?: string | null; sizeBytes?: number }): Promise<void>;
  deleteAddon(id: string): Promise<void>;
}

export interface BackupPassContext {
  readonly api: KubeApi;
  readonly namespacePrefix: string;
  readonly settings: ClusterAddonSettings;
  readonly backups: ClusterBackupSettings;
  readonly cnpg: boolean;
  /** Exec into pods for the size; absent: sizes come from the last backups only. */
  readonly exec?: Exec | undefined;
  /** When each add-on's size was last read by exec (kept by the caller across resyncs). */
  readonly sizeReadAt: Map<string, number>;
  readonly now?: (() => number) | undefined;
  readonly logger: Pick<DeployLogger, "warn">;
}

/** Reading a size by exec at most this often per add-on. */
export const SIZE_INTERVAL_MS = 5 * 60_000;

export async function convergeBackups(
  store: BackupStore,
  ctx: BackupPassContext,
  addons: readonly BackupAddonView[],
): Promise<void> {
  const byId = new Map(addons.map((a) => [a.id, a]));
  const place = (a: BackupAddonView): AddonPlace => ({
    api: ctx.api,
    appName: a.appName,
    namespace: appNamespace(ctx.namespacePrefix, a.appName),
    settings: ctx.settings,
    backups: ctx.backups,
    cnpg: ctx.cnpg,
  });

  // Requested and running backups: a final one runs while the add-on is being deleted, any other once ready.
  const pending = await readSafely(ctx, "backups", () => store.pendingBackups(), []);
  const inFlight = new Set<string>();
  for (const b of pending) {
    const addon = b.addonId ? byId.get(b.addonId) : undefined;
    if (!addon) continue;
    inFlight.add(addon.id);
    if (addon.status !== "ready" && !(addon.status === "deleting" && b.kind === "final")) continue;
    await step(ctx, `backup ${b.id}`, async () => {
      const next = await stepBackup(place(addon), b.id);
      if (changed(b, next)) await store.markBackup(b.id, toChange(next));
    });
  }

  for (const addon of addons) {
    if (addon.status === "deleting") {
      await step(ctx, `delete ${addon.id}`, () => finishDelete(store, place(addon), addon, inFlight));
      continue;
    }
    if (addon.status !== "ready") continue;
    if (addon.restoreBackupId && (addon.restoreStatus === "requested" || addon.restoreStatus === "running")) {
      const restoring = addon.restoreStatus;
      await step(ctx, `restore ${addon.id}`, async () => {
        const backup = await store.getBackup(addon.restoreBackupId ?? "");
        const next: JobOutcome = backup
          ? await stepRestore(place(addon), addon.id, backup, restoring)
          : { status: "error", detail: `backup ${addon.restoreBackupId} does not exist` };
        const detail = "detail" in next ? (next.detail ?? null) : null;
        if (next.status !== restoring || detail !== addon.restoreDetail) {
          await store.markRestore(addon.id, { status: next.status, detail });
        }
      });
    }
    await step(ctx, `nightly ${addon.id}`, () => nightly(store, ctx, place(addon), addon, inFlight));
    await step(ctx, `size ${addon.id}`, () => readSize(store, ctx, addon));
  }
}

/** A deleting add-on goes once its final dump is done; a failed dump keeps it and its data. */
async function finishDelete(
  store: BackupStore,
  place: AddonPlace,
  addon: BackupAddonView,
  inFlight: ReadonlySet<string>,
): Promise<void> {
  if (inFlight.has(addon.id)) return;
  const finals = (await store.addonBackups(addon.id))
    .filter((b) => b.kind === "final")
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const last = finals[0];
  if (!last) {
    // The api requests it with the delete; a row lost between the two is requested again.
    await store.requestBackup(addon, "final");
    return;
  }
  if (last.status === "done") {
    await deleteAddonObjects(place);
    await store.deleteAddon(addon.id);
    return;
  }
  if (last.status === "error") {
    // Never lose data: the add-on stays (its objects untouched, still serving the app) with the reason.
    const detail = `The final dump failed (${last.detail ?? "no reason"}): the add-on and its data are kept`;
    if (addon.detail !== detail) await store.updateAddon(addon.id, { detail });
  }
}

/** A `nightly` row when the newest backup is older than the interval; one in flight at a time. */
async function nightly(
  store: BackupStore,
  ctx: BackupPassContext,
  place: AddonPlace,
  addon: BackupAddonView,
  inFlight: ReadonlySet<string>,
): Promise<void> {
  if (ctx.cnpg) {
    // CNPG schedules its own; its Backups are not rows.
    await applyObject(
      ctx.api,
      renderCnpgScheduledBackup({
        appName: addon.appName,
        namespace: place.namespace,
        schedule: ctx.backups.cnpgSchedule,
        method: ctx.backups.cnpgMethod,
      }) as KubernetesObject,
    );
    return;
  }
  if (inFlight.has(addon.id)) return;
  const rows = await store.addonBackups(addon.id);
  const newest = Math.max(addon.createdAt.getTime(), ...rows.map((b) => b.createdAt.getTime()));
  if ((ctx.now?.() ?? Date.now()) - newest >= ctx.backups.intervalMs)
    await store.requestBackup(addon, "nightly");
}

/** pg_database_size by exec at most every five minutes; without exec, the last dump's size, said in the log. */
async function readSize(store: BackupStore, ctx: BackupPassContext, addon: BackupAddonView): Promise<void> {
  const now = ctx.now?.() ?? Date.now();
  if (now - (ctx.sizeReadAt.get(addon.id) ?? 0) < SIZE_INTERVAL_MS) return;
  ctx.sizeReadAt.set(addon.id, now);
  let size: number | undefined;
  if (ctx.exec && !ctx.cnpg) {
    try {
      size = await execDatabaseSize(
        ctx.exec,
        appNamespace(ctx.namespacePrefix, addon.appName),
        addon.appName,
      );
    } catch (error) {
      ctx.logger.warn(
        { err: error, addonId: addon.id },
        "Reading the add-on's size by exec failed; using the size of its last dump",
      );
    }
  }
  if (size === undefined) {
    const done = (await store.addonBackups(addon.id))
      .filter((b) => b.status === "done" && b.sizeBytes !== null)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    size = done[0]?.sizeBytes ?? undefined;
  }
  if (size !== undefined && size !== addon.sizeBytes) await store.updateAddon(addon.id, { sizeBytes: size });
}

function changed(row: BackupRowView, next: JobOutcome): boolean {
  if (next.status !== row.status) return true;
  return "detail" in next && (next.detail ?? null) !== row.detail;
}

function toChange(next: JobOutcome) {
  if (next.status === "done") {
    return { status: next.status, detail: null, sizeBytes: next.sizeBytes, location: next.location };
  }
  return { status: next.status, detail: next.detail ?? null };
}

/** One row's step; its failure is logged and left to the next resync, never stopping the others. */
async function step(ctx: BackupPassContext, what: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    ctx.logger.warn(
      { err: error, detail: describeApiError(error) },
      `Add-on ${what} failed; the next resync retries`,
    );
  }
}

async function readSafely<T>(
  ctx: BackupPassContext,
  what: string,
  run: () => Promise<T>,
  fallback: T,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    ctx.logger.warn({ err: error }, `Reading add-on ${what} failed; the next resync retries`);
    return fallback;
  }
}
