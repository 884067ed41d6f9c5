import type { V1Job, V1PersistentVolumeClaim, V1PodSpec } from "@kubernetes/client-node";
import { LABEL_MANAGED_BY, MANAGED_BY } from "./names.ts";
import { postgresAddonNames } from "./postgres-addon.ts";
import type { PodPlacement } from "./settings.ts";

/**
 * Backups and restores of a StatefulSet add-on in cluster mode (ADR 0229): a per-app claim holding the
 * dumps and, per request, a Job of the postgres image that runs pg_dump into it or loads a dump back.
 */

/** The label of backup and restore Job pods; the add-on's NetworkPolicy admits them too. */
export const LABEL_ADDON_JOB = "kli8nt.io/addon-job";
const MOUNT = "/backups";

/** The per-app claim of the dumps; it outlives the add-on (the final dump lives here). */
export function postgresBackupClaimName(appName: string): string {
  return `${postgresAddonNames(appName).workload}-backups`;
}

/** The dump file of a backup in that claim. */
export function postgresBackupFile(backupId: string): string {
  return `${backupId}.sql`;
}

/** `pvc:<claim>/<file>`, the location a backup row records. */
export function postgresBackupLocation(appName: string, backupId: string): string {
  return `pvc:${postgresBackupClaimName(appName)}/${postgresBackupFile(backupId)}`;
}

/** A DNS-1123 Job name for a backup or restore of `id` (ids may hold `_`). */
export function postgresJobName(kind: "backup" | "restore", id: string): string {
  return `pg-${kind}-${id.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`.slice(0, 63).replace(/-+$/, "");
}

export interface BackupClaimInput {
  readonly appName: string;
  readonly namespace: string;
  readonly storage: string;
  /** Absent: the cluster's default StorageClass, as the data claim. */
  readonly storageClassName?: string | undefined;
}

export function renderBackupClaim(input: BackupClaimInput): V1PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: postgresBackupClaimName(input.appName),
      namespace: input.namespace,
      labels: {
        [LABEL_MANAGED_BY]: MANAGED_BY,
        [LABEL_ADDON_JOB]: postgresAddonNames(input.appName).workload,
      },
    },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: input.storage } },
      ...(input.storageClassName ? { storageClassName: input.storageClassName } : {}),
    },
  };
}

export interface PostgresJobInput {
  readonly appName: string;
  readonly namespace: string;
  /** The backup row's id: the dump file's name. */
  readonly backupId: string;
  readonly image: string;
  /** Where the add-on answers: its pod's address (no cluster DNS is assumed) or its Service's name. */
  readonly host: string;
  readonly placement?: PodPlacement | undefined;
  /** A dump or restore still running after this long fails (the Job's activeDeadlineSeconds). */
  readonly deadlineSeconds: number;
}

// Without owners and grants: a restore runs as the add-on's role, so every object is that role's, even in a
// new add-on (another role) made from a removed one's final dump. pg_dump writes to a temporary name so a
// failed dump never leaves a file that looks whole; the size goes to the termination message (read from the
// pod's status), the error of a failed one to the log's tail (FallbackToLogsOnError). Dumps are 0600.
const DUMP = [
  "set -eu",
  "umask 077",
  'f="/backups/$BACKUP_FILE"',
  'pg_dump --no-password --no-owner --no-privileges --file "$f.part"',
  'mv "$f.part" "$f"',
  'size=$(wc -c < "$f")',
  'printf %s "$size" > /dev/termination-log',
  'echo "dumped $size bytes to $f"',
].join("\n");

// As the local restore (ADR 0225): the database is dropped (its connections ended) and made again owned by
// the add-on's role, then the dump is loaded in one transaction, so a restore replaces, never merges.
const RESTORE = [
  "set -eu",
  'f="/backups/$BACKUP_FILE"',
  'test -s "$f" || { echo "the dump $BACKUP_FILE is missing or empty in the backups claim"; exit 1; }',
  'psql --no-password -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS \\"$PGDATABASE\\" WITH (FORCE)" -c "CREATE DATABASE \\"$PGDATABASE\\" OWNER \\"$PGUSER\\""',
  'psql --no-password -v ON_ERROR_STOP=1 --single-transaction -q -f "$f" > /dev/null',
  "printf restored > /dev/termination-log",
  'echo "restored $f into $PGDATABASE"',
].join("\n");

/** A Job that dumps the add-on's database into `/backups/<backup id>.sql` of the app's backups claim. */
export function renderBackupJob(input: PostgresJobInput): V1Job {
  return renderJob(input, "backup", DUMP);
}

/** A Job that replaces the add-on's database with the dump of backup `backupId`. */
export function renderRestoreJob(input: PostgresJobInput & { readonly addonId: string }): V1Job {
  return renderJob(input, "restore", RESTORE, input.addonId);
}

function renderJob(input: PostgresJobInput, kind: "backup" | "restore", script: string, id?: string): V1Job {
  const names = postgresAddonNames(input.appName);
  const labels = { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_ADDON_JOB]: names.workload };
  const fromSecret = (env: string) => ({
    name: env,
    valueFrom: { secretKeyRef: { name: names.secret, key: env } },
  });
  const pod: V1PodSpec = {
    restartPolicy: "Never",
    automountServiceAccountToken: false,
    ...(input.placement?.nodeSelector ? { nodeSelector: { ...input.placement.nodeSelector } } : {}),
    ...(input.placement?.tolerations
      ? { tolerations: input.placement.tolerations.map((t) => ({ ...t })) }
      : {}),
    // Pod Security `restricted`, as the add-on's own pod: the image's postgres user owns the dumps.
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 999,
      runAsGroup: 999,
      fsGroup: 999,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [
      {
        name: kind,
        image: input.image,
        command: ["sh", "-c", script],
        env: [
          fromSecret("PGUSER"),
          fromSecret("PGPASSWORD"),
          fromSecret("PGDATABASE"),
          fromSecret("PGPORT"),
          { name: "PGHOST", value: input.host },
          { name: "PGCONNECT_TIMEOUT", value: "10" },
          { name: "BACKUP_FILE", value: postgresBackupFile(input.backupId) },
        ],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        terminationMessagePolicy: "FallbackToLogsOnError",
        volumeMounts: [{ name: "backups", mountPath: MOUNT }],
      },
    ],
    volumes: [
      { name: "backups", persistentVolumeClaim: { claimName: postgresBackupClaimName(input.appName) } },
    ],
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: postgresJobName(kind, id ?? input.backupId),
      namespace: input.namespace,
      labels,
      annotations: { "kli8nt.io/backup": input.backupId },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: input.deadlineSeconds,
      // Long enough for the controller's next resyncs to read the result; the dump itself stays.
      ttlSecondsAfterFinished: 3600,
      template: { metadata: { labels }, spec: pod },
    },
  };
}

/** CNPG's Backup and ScheduledBackup (postgresql.cnpg.io/v1), from its documented API; not validated here. */
export type CnpgBackupMethod = "barmanObjectStore" | "volumeSnapshot";

export interface CnpgObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  readonly spec: Record<string, unknown>;
}

/**
 * A CNPG `Backup` of the add-on's Cluster for one backup row (`spec.cluster.name`, `spec.method`). CNPG takes
 * a physical backup of the whole Cluster to the target its `spec.backup` names, which the operator's
 * installation must configure; its state is `status.phase` (`completed`, `failed` with `status.error`).
 * Rendered from CNPG's documented API only, not validated against its real CRDs.
 */
export function renderCnpgBackup(input: {
  readonly appName: string;
  readonly namespace: string;
  readonly backupId: string;
  readonly method: CnpgBackupMethod;
}): CnpgObject {
  const names = postgresAddonNames(input.appName);
  return {
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "Backup",
    metadata: {
      name: postgresJobName("backup", input.backupId),
      namespace: input.namespace,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_ADDON_JOB]: names.workload },
      annotations: { "kli8nt.io/backup": input.backupId },
    },
    spec: { cluster: { name: names.workload }, method: input.method },
  };
}

/**
 * The add-on's nightly CNPG `ScheduledBackup`: CNPG's six-field cron (seconds first), owned by the Cluster
 * so it goes with it. Rendered from CNPG's documented API only, not validated against its real CRDs.
 */
export function renderCnpgScheduledBackup(input: {
  readonly appName: string;
  readonly namespace: string;
  readonly schedule: string;
  readonly method: CnpgBackupMethod;
}): CnpgObject {
  const names = postgresAddonNames(input.appName);
  return {
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "ScheduledBackup",
    metadata: {
      name: `${names.workload}-nightly`,
      namespace: input.namespace,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_ADDON_JOB]: names.workload },
    },
    spec: {
      schedule: input.schedule,
      cluster: { name: names.workload },
      method: input.method,
      backupOwnerReference: "cluster",
      immediate: false,
    },
  };
}
