import { randomBytes } from "node:crypto";
import {
  appNamespace,
  LABEL_ADDON,
  type PodPlacement,
  postgresAddonNames,
  renderCnpgCluster,
  renderPostgresAddon,
} from "@kli8nt/manifests";
import type { KubernetesObject, V1StatefulSet } from "@kubernetes/client-node";
import { applyObject, describeApiError, httpStatusOf, type KubeApi } from "../kube-api.ts";
import type { ClusterBackupSettings } from "./backup-jobs.ts";

/** How the controller makes add-ons (ADR 0226): the postgres image, the claim's size and class, placement. */
export interface ClusterAddonSettings {
  readonly image: string;
  readonly storage: string;
  /** Unset: the cluster's default StorageClass. */
  readonly storageClassName?: string | undefined;
  readonly placement?: PodPlacement | undefined;
  /** Backups, restores and sizes (ADR 0229); absent: the defaults. */
  readonly backups?: ClusterBackupSettings | undefined;
}

/** An add-on row as this pass needs it; its password is never in the row (ADR 0226). */
export interface ClusterAddonRow {
  readonly id: string;
  readonly appName: string;
  readonly database: string;
  readonly role: string;
  readonly status: "provisioning" | "ready" | "error" | "deleting";
  readonly detail: string | null;
}

export interface AddonStatusUpdate {
  readonly id: string;
  readonly status: "provisioning" | "ready" | "error";
  readonly detail: string | null;
}

const CNPG_CLUSTER = { apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster" } as const;
const STATEFUL_SET = { apiVersion: "apps/v1", kind: "StatefulSet" } as const;
const SECRET = { apiVersion: "v1", kind: "Secret" } as const;
const CNPG_CRD = "clusters.postgresql.cnpg.io";
const NOT_FOUND = 404;

/**
 * One add-on pass of the resync: applies each row's objects in its app's namespace (a CNPG Cluster when
 * the operator's CRD exists, else the StatefulSet path), reads whether its pod is Ready, and deletes the
 * objects of add-ons whose row is gone in the namespaces of `appNames` (their claims stay: the final copy).
 * Returns the rows whose status or detail changed. Level-triggered: run any number of times.
 */
export async function syncPostgresAddons(
  api: KubeApi,
  namespacePrefix: string,
  settings: ClusterAddonSettings,
  appNames: readonly string[],
  rows: readonly ClusterAddonRow[],
): Promise<AddonStatusUpdate[]> {
  const cnpg = await cnpgInstalled(api);
  const updates: AddonStatusUpdate[] = [];
  for (const row of rows) {
    // A deleting add-on is left as it is until its final dump is done (addon-backups.ts, ADR 0229).
    if (row.status === "deleting") continue;
    const next = await converge(api, appNamespace(namespacePrefix, row.appName), settings, row, cnpg).catch(
      (error: unknown) => ({ status: "error" as const, detail: describeApiError(error) }),
    );
    if (next.status !== row.status || next.detail !== row.detail) updates.push({ id: row.id, ...next });
  }
  await pruneRemoved(api, namespacePrefix, appNames, new Set(rows.map((r) => r.appName)), cnpg);
  return updates;
}

/** Whether the CloudNativePG operator's Cluster CRD exists (what `kli8nt doctor` reports too). */
export async function cnpgInstalled(api: KubeApi): Promise<boolean> {
  try {
    await api.objects.read({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: CNPG_CRD },
    });
    return true;
  } catch (error) {
    if (httpStatusOf(error) === NOT_FOUND) return false;
    throw error;
  }
}

async function converge(
  api: KubeApi,
  namespace: string,
  settings: ClusterAddonSettings,
  row: ClusterAddonRow,
  cnpg: boolean,
): Promise<Pick<AddonStatusUpdate, "status" | "detail">> {
  if (!(await exists(() => api.core.readNamespace({ name: namespace })))) {
    return {
      status: "provisioning",
      detail: "Waiting for the app's first deploy, which makes its namespace",
    };
  }
  const names = postgresAddonNames(row.appName);
  const password = await keptPassword(api, namespace, names.secret, names.workload);
  const input = {
    appName: row.appName,
    namespace,
    database: row.database,
    user: row.role,
    password,
    image: settings.image,
    storage: settings.storage,
    storageClassName: settings.storageClassName,
    placement: settings.placement,
  };
  const objects = renderPostgresAddon(input);
  if (cnpg) {
    // The operator makes the pods, its `<cluster>-rw` Service and its claims; the app's Secret names it.
    const cluster = renderCnpgCluster(input);
    const host = `${names.workload}-rw.${namespace}.svc`;
    await applyObject(api, withHost(objects.secret, objects.service, host));
    await applyObject(api, cluster.secret);
    await applyObject(api, cluster.cluster as KubernetesObject);
    await applyObject(api, objects.networkPolicy);
    const read = (await api.objects.read({
      ...CNPG_CLUSTER,
      metadata: { name: names.workload, namespace },
    })) as KubernetesObject & { status?: { readyInstances?: number } };
    return (read.status?.readyInstances ?? 0) >= 1
      ? { status: "ready", detail: null }
      : { status: "provisioning", detail: `Waiting for the CNPG Cluster ${names.workload} to be ready` };
  }
  for (const o of [objects.secret, objects.service, objects.networkPolicy, objects.statefulSet]) {
    await applyObject(api, o);
  }
  const set = await api.apps.readNamespacedStatefulSet({ name: names.workload, namespace });
  if ((set.status?.readyReplicas ?? 0) >= 1) return { status: "ready", detail: null };
  return { status: "provisioning", detail: await podWaiting(api, namespace, `${names.workload}-0`) };
}

/**
 * The password the add-on's Secret already holds, else a new one. A new one means a new add-on: a claim
 * left by a removed add-on of the app (initialised with another password) is deleted first.
 */
async function keptPassword(
  api: KubeApi,
  namespace: string,
  secret: string,
  workload: string,
): Promise<string> {
  try {
    const kept = (await api.core.readNamespacedSecret({ name: secret, namespace })).data?.PGPASSWORD;
    if (kept) return Buffer.from(kept, "base64").toString("utf8");
  } catch (error) {
    if (httpStatusOf(error) !== NOT_FOUND) throw error;
  }
  await api.core
    .deleteNamespacedPersistentVolumeClaim({ name: `data-${workload}-0`, namespace })
    .catch((error: unknown) => {
      if (httpStatusOf(error) !== NOT_FOUND) throw error;
    });
  return randomBytes(32).toString("base64url");
}

/** The Secret's DATABASE_URL and PGHOST pointed at another Service (CNPG's read-write one). */
function withHost<T extends { stringData?: { [key: string]: string } }>(
  secret: T,
  service: KubernetesObject,
  host: string,
): T {
  const data = { ...secret.stringData };
  const old = `${service.metadata?.name}.${service.metadata?.namespace}.svc`;
  if (data.DATABASE_URL) data.DATABASE_URL = data.DATABASE_URL.replace(`@${old}:`, `@${host}:`);
  data.PGHOST = host;
  return { ...secret, stringData: data };
}

/** Why the add-on's pod is not Ready yet, in a sentence. */
async function podWaiting(api: KubeApi, namespace: string, pod: string): Promise<string> {
  try {
    const status = (await api.core.readNamespacedPod({ name: pod, namespace })).status;
    const waiting = status?.containerStatuses?.[0]?.state?.waiting;
    const unscheduled = status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
    const why = waiting?.reason ?? unscheduled?.message ?? status?.phase ?? "starting";
    return `Waiting for pod ${pod} to be Ready: ${why}`;
  } catch (error) {
    if (httpStatusOf(error) === NOT_FOUND) return `Waiting for pod ${pod} to be created`;
    throw error;
  }
}

/** Deletes the objects of add-ons whose row is gone, in the given apps' namespaces only; claims stay. */
async function pruneRemoved(
  api: KubeApi,
  prefix: string,
  appNames: readonly string[],
  keep: ReadonlySet<string>,
  cnpg: boolean,
): Promise<void> {
  const ours = new Map(appNames.map((a) => [appNamespace(prefix, a), a]));
  const sets = await api.apps.listStatefulSetForAllNamespaces({ labelSelector: LABEL_ADDON });
  const clusters = cnpg
    ? ((
        await api.objects.list(
          CNPG_CLUSTER.apiVersion,
          CNPG_CLUSTER.kind,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          LABEL_ADDON,
        )
      ).items as KubernetesObject[])
    : [];
  for (const o of [...(sets.items as V1StatefulSet[]), ...clusters]) {
    const namespace = o.metadata?.namespace ?? "";
    const app = ours.get(namespace);
    if (app === undefined || keep.has(app)) continue;
    const names = postgresAddonNames(app);
    const { apiVersion, kind } = clusters.includes(o) ? CNPG_CLUSTER : STATEFUL_SET;
    for (const object of [
      { apiVersion, kind, name: names.workload },
      { ...SECRET, name: `${names.workload}-owner` },
      { apiVersion: "v1", kind: "Service", name: names.service },
      { ...SECRET, name: names.secret },
      { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", name: names.networkPolicy },
    ]) {
      await api.objects
        .delete({
          apiVersion: object.apiVersion,
          kind: object.kind,
          metadata: { name: object.name, namespace },
        })
        .catch((error: unknown) => {
          if (httpStatusOf(error) !== NOT_FOUND) throw error;
        });
    }
  }
}

async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (error) {
    if (httpStatusOf(error) === NOT_FOUND) return false;
    throw error;
  }
}
