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
});

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
  };
}
