import { describe, expect, it } from "vitest";
import {
  type PostgresJobInput,
  postgresBackupLocation,
  postgresJobName,
  renderBackupClaim,
  renderBackupJob,
  renderCnpgBackup,
  renderCnpgScheduledBackup,
  renderRestoreJob,
} from "./postgres-backup-job.ts";

const input: PostgresJobInput = {
  appName: "shop",
  namespace: "kli8nt-shop",
  backupId: "bak_AbC123",
  image: "docker.io/library/postgres:16",
  host: "10.244.1.7",
  deadlineSeconds: 900,
  placement: {
    nodeSelector: { "kli8nt.io/real-node": "true" },
    tolerations: [{ key: "kli8nt.io/real-node", operator: "Equal", value: "true", effect: "NoSchedule" }],
  },
};

describe("renderBackupClaim", () => {
  it("is the app's one backups claim, of the data claim's class or the default", () => {
    const claim = renderBackupClaim({ appName: "shop", namespace: "kli8nt-shop", storage: "2Gi" });
    expect(claim.metadata?.name).toBe("shop-postgres-backups");
    expect(claim.spec?.resources?.requests).toEqual({ storage: "2Gi" });
    expect(claim.spec?.storageClassName).toBeUndefined();
    expect(
      renderBackupClaim({ appName: "shop", namespace: "n", storage: "1Gi", storageClassName: "fast" }).spec
        ?.storageClassName,
    ).toBe("fast");
  });
});

describe("renderBackupJob", () => {
  const job = renderBackupJob(input);
  const pod = job.spec?.template.spec;
  const container = pod?.containers[0];

  it("is named from the backup id as a DNS label and records where the dump goes", () => {
    expect(job.metadata?.name).toBe("pg-backup-bak-abc123");
    expect(postgresJobName("backup", `x_${"a".repeat(80)}`)).toHaveLength(63);
    expect(postgresBackupLocation("shop", "bak_AbC123")).toBe("pvc:shop-postgres-backups/bak_AbC123.sql");
    expect(container?.env).toContainEqual({ name: "BACKUP_FILE", value: "bak_AbC123.sql" });
    expect(pod?.volumes).toEqual([
      { name: "backups", persistentVolumeClaim: { claimName: "shop-postgres-backups" } },
    ]);
  });

  it("reads the credentials from the add-on's Secret, never inline, and dials the given host", () => {
    expect(container?.env).toContainEqual({
      name: "PGPASSWORD",
      valueFrom: { secretKeyRef: { name: "shop-postgres-credentials", key: "PGPASSWORD" } },
    });
    expect(container?.env).toContainEqual({ name: "PGHOST", value: "10.244.1.7" });
    expect(JSON.stringify(job)).not.toMatch(/password=/i);
    expect(container?.command?.[2]).toContain("pg_dump");
  });

  it("runs as the add-on's pod does: restricted, placed alike, bounded in time, cleaned up", () => {
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999 });
    expect(container?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod?.nodeSelector).toEqual(input.placement?.nodeSelector);
    expect(pod?.tolerations).toEqual(input.placement?.tolerations);
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 900,
      ttlSecondsAfterFinished: 3600,
    });
    expect(container?.terminationMessagePolicy).toBe("FallbackToLogsOnError");
    // The add-on's NetworkPolicy admits this label; its Service must not select the Job's pod.
    expect(job.spec?.template.metadata?.labels).toEqual({
      "app.kubernetes.io/managed-by": "kli8nt",
      "kli8nt.io/addon-job": "shop-postgres",
    });
  });
});

describe("renderRestoreJob", () => {
  it("drops and recreates the database before loading the dump in one transaction", () => {
    const job = renderRestoreJob({ ...input, addonId: "adn_1" });
    expect(job.metadata?.name).toBe("pg-restore-adn-1");
    const script = job.spec?.template.spec?.containers[0]?.command?.[2] ?? "";
    expect(script).toMatch(/DROP DATABASE IF EXISTS .* WITH \(FORCE\)/);
    expect(script).toMatch(/CREATE DATABASE .* OWNER/);
    expect(script).toContain("--single-transaction");
    expect(script.indexOf("DROP DATABASE")).toBeLessThan(script.indexOf("--single-transaction"));
  });
});

// Rendered objects only: CloudNativePG's CRDs cannot be fetched here, so this is not validated against them.
describe("CNPG Backup and ScheduledBackup (not validated against the real CNPG CRDs)", () => {
  it("names the add-on's Cluster and the method, as CNPG's documented API", () => {
    const backup = renderCnpgBackup({
      appName: "shop",
      namespace: "n",
      backupId: "bak_1",
      method: "volumeSnapshot",
    });
    expect(backup).toMatchObject({
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "Backup",
      metadata: { name: "pg-backup-bak-1", namespace: "n" },
      spec: { cluster: { name: "shop-postgres" }, method: "volumeSnapshot" },
    });
    const scheduled = renderCnpgScheduledBackup({
      appName: "shop",
      namespace: "n",
      schedule: "0 0 3 * * *",
      method: "barmanObjectStore",
    });
    expect(scheduled).toMatchObject({
      kind: "ScheduledBackup",
      metadata: { name: "shop-postgres-nightly" },
      spec: {
        schedule: "0 0 3 * * *",
        cluster: { name: "shop-postgres" },
        method: "barmanObjectStore",
        backupOwnerReference: "cluster",
        immediate: false,
      },
    });
  });
});
