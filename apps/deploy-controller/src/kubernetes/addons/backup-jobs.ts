import {
  type CnpgBackupMethod,
  postgresAddonNames,
  postgresBackupLocation,
  postgresJobName,
  renderBackupClaim,
  renderBackupJob,
  renderCnpgBackup,
  renderRestoreJob,
} from "@kli8nt/manifests";
import type { KubernetesObject, V1Job, V1Pod } from "@kubernetes/client-node";
import { applyObject, httpStatusOf, type KubeApi } from "../kube-api.ts";
import type { ClusterAddonSettings } from "./postgres-addons.ts";

/**
 * The cluster side of add-on backups and restores (ADR 0229): one Job (or CNPG Backup) per request row,
 * read back on every resync until it is done. Each call is idempotent: a resync may run it any number of
 * times, and a controller restarted mid-dump picks the same Job up by its name.
 */

/** Backup settings of cluster add-ons (KLI8NT_ADDONS_BACKUP_*). */
export interface ClusterBackupSettings {
  /** Size of the per-app backups claim. */
  readonly storage: string;
  /** A ready add-on whose newest backup is older than this gets a `nightly` one. */
  readonly intervalMs: number;
  /** A dump or restore Job running longer fails (activeDeadlineSeconds). */
  readonly deadlineSeconds: number;
  /** CNPG only: the Backup method, whose target the CNPG installation configures. */
  readonly cnpgMethod: CnpgBackupMethod;
  /** CNPG only: the ScheduledBackup's six-field cron. */
  readonly cnpgSchedule: string;
}

export const DEFAULT_BACKUP_SETTINGS: ClusterBackupSettings = {
  storage: "1Gi",
  intervalMs: 24 * 3600_000,
  deadlineSeconds: 1800,
  cnpgMethod: "barmanObjectStore",
  cnpgSchedule: "0 0 3 * * *",
};

/** Where one add-on lives, as the backup and restore steps need it. */
export interface AddonPlace {
  readonly api: KubeApi;
  readonly appName: string;
  readonly namespace: string;
  readonly settings: ClusterAddonSettings;
  readonly backups: ClusterBackupSettings;
  readonly cnpg: boolean;
}

export type JobOutcome =
  | { readonly status: "requested" | "running"; readonly detail?: string | undefined }
  | { readonly status: "done"; readonly sizeBytes: number | null; readonly location: string }
  | { readonly status: "error"; readonly detail: string };

export const CNPG_RESTORE_DETAIL =
  "restore on CloudNativePG is a recovery bootstrap of a new Cluster; not automated";

const NOT_FOUND = 404;
const CONFLICT = 409;
const CNPG_BACKUP = { apiVersion: "postgresql.cnpg.io/v1", kind: "Backup" } as const;

/** Starts (once) and reads the dump of backup `backupId`. */
export async function stepBackup(place: AddonPlace, backupId: string): Promise<JobOutcome> {
  return place.cnpg ? stepCnpgBackup(place, backupId) : stepBackupJob(place, backupId);
}

async function stepBackupJob(place: AddonPlace, backupId: string): Promise<JobOutcome> {
  const { api, namespace } = place;
  const name = postgresJobName("backup", backupId);
  let job = await readJob(api, namespace, name);
  if (!job) {
    const host = await addonHost(place);
    if (!host) return { status: "requested", detail: "Waiting for the add-on's pod to have an address" };
    await ensureBackupClaim(place);
    job = await createJob(api, renderBackupJob(jobInput(place, backupId, host)));
  }
  const finished = jobFinished(job);
  if (finished === undefined) return { status: "running" };
  const pod = await jobPod(api, namespace, name);
  const message = pod?.status?.containerStatuses?.[0]?.state?.terminated?.message?.trim() ?? "";
  if (finished.ok) {
    const size = Number.parseInt(message, 10);
    return {
      status: "done",
      sizeBytes: Number.isFinite(size) ? size : null,
      location: postgresBackupLocation(place.appName, backupId),
    };
  }
  return { status: "error", detail: failureDetail(finished.reason, message) };
}

async function stepCnpgBackup(place: AddonPlace, backupId: string): Promise<JobOutcome> {
  const object = renderCnpgBackup({
    appName: place.appName,
    namespace: place.namespace,
    backupId,
    method: place.backups.cnpgMethod,
  });
  const read = async () =>
    (await place.api.objects.read({
      ...CNPG_BACKUP,
      metadata: { name: object.metadata.name, namespace: place.namespace },
    })) as KubernetesObject & { status?: { phase?: string; error?: string } };
  let backup: Awaited<ReturnType<typeof read>>;
  try {
    backup = await read();
  } catch (error) {
    if (httpStatusOf(error) !== NOT_FOUND) throw error;
    await place.api.objects.create(object as KubernetesObject).catch(ignore(CONFLICT));
    return { status: "running" };
  }
  // CNPG's phases: `completed` and `failed` are final; anything else (pending, started, running…) is not.
  const phase = backup.status?.phase;
  if (phase === "completed") {
    return { status: "done", sizeBytes: null, location: `cnpg-backup:${object.metadata.name}` };
  }
  if (phase === "failed") {
    return { status: "error", detail: `CNPG Backup failed: ${backup.status?.error ?? "no reason given"}` };
  }
  return { status: "running", detail: phase ? `CNPG Backup ${phase}` : undefined };
}

/**
 * One step of restoring backup `backupId` into the add-on: `requested` → a Job (after any older restore Job
 * of the add-on is gone) → `running` → `done` or `error`. Only a dump of this app's backups claim can be
 * restored; on CNPG nothing is automated.
 */
export async function stepRestore(
  place: AddonPlace,
  addonId: string,
  backup: { readonly id: string; readonly status: string; readonly location: string | null },
  current: "requested" | "running",
): Promise<JobOutcome> {
  if (place.cnpg) return { status: "error", detail: CNPG_RESTORE_DETAIL };
  if (backup.status !== "done") {
    return backup.status === "error"
      ? { status: "error", detail: `backup ${backup.id} failed, so there is nothing to restore` }
      : { status: "requested", detail: `Waiting for backup ${backup.id} to finish` };
  }
  if (backup.location !== postgresBackupLocation(place.appName, backup.id)) {
    return {
      status: "error",
      detail: `backup ${backup.id} is not a dump in this app's backups claim (${backup.location ?? "no location"})`,
    };
  }
  const { api, namespace } = place;
  const name = postgresJobName("restore", addonId);
  const job = await readJob(api, namespace, name);
  if (current === "requested") {
    if (job) {
      // A previous restore's Job (finished, or of another backup): gone first, then ours.
      await api.batch
        .deleteNamespacedJob({ name, namespace, propagationPolicy: "Background" })
        .catch(ignore(NOT_FOUND));
      return { status: "requested", detail: "Removing the previous restore Job" };
    }
    const host = await addonHost(place);
    if (!host) return { status: "requested", detail: "Waiting for the add-on's pod to have an address" };
    await createJob(api, renderRestoreJob({ ...jobInput(place, backup.id, host), addonId }));
    return { status: "running" };
  }
  if (!job) return { status: "error", detail: `the restore Job ${name} is gone before it finished` };
  const finished = jobFinished(job);
  if (finished === undefined) return { status: "running" };
  if (finished.ok) return { status: "done", sizeBytes: null, location: backup.location };
  const pod = await jobPod(api, namespace, name);
  const message = pod?.status?.containerStatuses?.[0]?.state?.terminated?.message?.trim() ?? "";
  return { status: "error", detail: failureDetail(finished.reason, message) };
}

/** Deletes a removed add-on's workload, Secret, Service, policy and data claim; the backups claim stays. */
export async function deleteAddonObjects(place: Omit<AddonPlace, "backups" | "settings">): Promise<void> {
  const { api, namespace } = place;
  const names = postgresAddonNames(place.appName);
  const workload = place.cnpg
    ? { apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster" }
    : { apiVersion: "apps/v1", kind: "StatefulSet" };
  const objects = [
    { ...workload, name: names.workload },
    { apiVersion: "postgresql.cnpg.io/v1", kind: "ScheduledBackup", name: `${names.workload}-nightly` },
    { apiVersion: "v1", kind: "Secret", name: `${names.workload}-owner` },
    { apiVersion: "v1", kind: "Service", name: names.service },
    { apiVersion: "v1", kind: "Secret", name: names.secret },
    { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", name: names.networkPolicy },
    // The final dump is in the backups claim, so the data claim goes too (ADR 0229).
    { apiVersion: "v1", kind: "PersistentVolumeClaim", name: `data-${names.workload}-0` },
  ];
  for (const o of objects) {
    if (o.kind === "ScheduledBackup" && !place.cnpg) continue;
    await api.objects
      .delete({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, namespace } })
      .catch(ignore(NOT_FOUND));
  }
}

async function ensureBackupClaim(place: AddonPlace): Promise<void> {
  await applyObject(
    place.api,
    renderBackupClaim({
      appName: place.appName,
      namespace: place.namespace,
      storage: place.backups.storage,
      storageClassName: place.settings.storageClassName,
    }),
  );
}

function jobInput(place: AddonPlace, backupId: string, host: string) {
  return {
    appName: place.appName,
    namespace: place.namespace,
    backupId,
    image: place.settings.image,
    host,
    placement: place.settings.placement,
    deadlineSeconds: place.backups.deadlineSeconds,
  };
}

/**
 * The add-on pod's own address: Jobs dial it directly, so a cluster without DNS or a Service proxy (the
 * test node has neither) works too; it is read again for every Job, so a moved pod is followed.
 */
async function addonHost(place: AddonPlace): Promise<string | undefined> {
  const pod = `${postgresAddonNames(place.appName).workload}-0`;
  try {
    const read = await place.api.core.readNamespacedPod({ name: pod, namespace: place.namespace });
    return read.status?.podIP || undefined;
  } catch (error) {
    if (httpStatusOf(error) === NOT_FOUND) return undefined;
    throw error;
  }
}

async function readJob(api: KubeApi, namespace: string, name: string): Promise<V1Job | undefined> {
  try {
    return await api.batch.readNamespacedJob({ name, namespace });
  } catch (error) {
    if (httpStatusOf(error) === NOT_FOUND) return undefined;
    throw error;
  }
}

async function createJob(api: KubeApi, job: V1Job): Promise<V1Job> {
  try {
    return await api.batch.createNamespacedJob({ namespace: job.metadata?.namespace ?? "", body: job });
  } catch (error) {
    // Made by an earlier pass whose answer was lost: read it.
    if (httpStatusOf(error) !== CONFLICT) throw error;
    return api.batch.readNamespacedJob({
      name: job.metadata?.name ?? "",
      namespace: job.metadata?.namespace ?? "",
    });
  }
}

function jobFinished(job: V1Job): { ok: boolean; reason: string } | undefined {
  for (const c of job.status?.conditions ?? []) {
    if (c.status !== "True") continue;
    if (c.type === "Complete") return { ok: true, reason: "" };
    if (c.type === "Failed")
      return { ok: false, reason: c.message ? `${c.reason}: ${c.message}` : (c.reason ?? "Failed") };
  }
  return undefined;
}

async function jobPod(api: KubeApi, namespace: string, job: string): Promise<V1Pod | undefined> {
  const pods = await api.core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
  return pods.items.at(-1);
}

/** The Job's reason and the tail of what pg_dump or psql said (their stderr; no credentials are in it). */
function failureDetail(reason: string, message: string): string {
  const tail = message.split("\n").filter(Boolean).slice(-3).join(" ").slice(-400);
  return tail ? `${reason} (${tail})` : reason;
}

function ignore(status: number) {
  return (error: unknown) => {
    if (httpStatusOf(error) !== status) throw error;
  };
}
