import { type EnvSource, loadEnvConfig } from "@kli8nt/core";
import type { PodPlacement } from "@kli8nt/manifests";
import { z } from "zod";
import type { ClusterAddonSettings } from "./postgres-addons.ts";

/**
 * The add-ons' settings of the deploy controller in cluster mode (ADR 0226): on only when KLI8NT_ADDONS is
 * `kubernetes`, as for the api that writes the rows; the same image variable as on one machine.
 */
const fields = z.object({
  KLI8NT_ADDONS: z.string().optional(),
  KLI8NT_ADDONS_POSTGRES_IMAGE: z.string().min(1).default("docker.io/library/postgres:16"),
  KLI8NT_ADDONS_POSTGRES_STORAGE: z
    .string()
    .regex(/^\d+(Mi|Gi|Ti)$/, "a size like 1Gi")
    .default("1Gi"),
  // Unset: the cluster's default StorageClass.
  KLI8NT_ADDONS_STORAGE_CLASS: z.string().min(1).optional(),
  // Backups (ADR 0229): the per-app dumps claim, how old the newest may get before a nightly one, a dump's
  // time limit; on CNPG the Backup method (its target is CNPG's configuration) and schedule.
  KLI8NT_ADDONS_BACKUP_STORAGE: z
    .string()
    .regex(/^\d+(Mi|Gi|Ti)$/, "a size like 5Gi")
    .default("1Gi"),
  KLI8NT_ADDONS_BACKUP_INTERVAL: z
    .string()
    .regex(/^\d+(m|h|d)$/, "a duration like 24h")
    .default("24h"),
  KLI8NT_ADDONS_BACKUP_DEADLINE: z
    .string()
    .regex(/^\d+(m|h)$/, "a duration like 30m")
    .default("30m"),
  KLI8NT_ADDONS_CNPG_BACKUP_METHOD: z
    .enum(["barmanObjectStore", "volumeSnapshot"])
    .default("barmanObjectStore"),
  KLI8NT_ADDONS_CNPG_BACKUP_SCHEDULE: z.string().min(1).default("0 0 3 * * *"),
});

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3600_000, d: 86_400_000 };
const durationMs = (d: string) => Number.parseInt(d, 10) * (UNIT_MS[d.slice(-1)] ?? 0);

export function loadClusterAddonSettings(
  placement: PodPlacement | undefined,
  env: EnvSource = process.env,
): ClusterAddonSettings | undefined {
  const c = loadEnvConfig("addons", fields, env);
  if (c.KLI8NT_ADDONS !== "kubernetes") return undefined;
  return {
    image: c.KLI8NT_ADDONS_POSTGRES_IMAGE,
    storage: c.KLI8NT_ADDONS_POSTGRES_STORAGE,
    storageClassName: c.KLI8NT_ADDONS_STORAGE_CLASS,
    placement,
    backups: {
      storage: c.KLI8NT_ADDONS_BACKUP_STORAGE,
      intervalMs: durationMs(c.KLI8NT_ADDONS_BACKUP_INTERVAL),
      deadlineSeconds: durationMs(c.KLI8NT_ADDONS_BACKUP_DEADLINE) / 1000,
      cnpgMethod: c.KLI8NT_ADDONS_CNPG_BACKUP_METHOD,
      cnpgSchedule: c.KLI8NT_ADDONS_CNPG_BACKUP_SCHEDULE,
    },
  };
}
