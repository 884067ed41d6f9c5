import { LABEL_APP, LABEL_MANAGED_BY, LABEL_PHASE, MANAGED_BY, PHASE_CRON } from "@kli8nt/manifests";
import type { KubernetesObject } from "@kubernetes/client-node";
import { httpStatusOf, type KubeApi } from "./kube-api.ts";

/** What the current release keeps in the namespace; every other workload of the app goes. */
export interface KeptWorkloads {
  readonly namespace: string;
  readonly appName: string;
  /** Names of the Deployments rendered for the formation (web's included when it has one). */
  readonly deployments: ReadonlySet<string>;
  /** Whether web's Service and Ingress stay (false for a worker-only release). */
  readonly web: boolean;
  /** Whether web's HorizontalPodAutoscaler stays. */
  readonly autoscaler: boolean;
}

/**
 * Deletes the Deployments of process types the release no longer has, and web's Service, Ingress and
 * autoscaler when it stopped having them: an apply only adds and changes, so removal is explicit.
 */
export async function pruneWorkloads(api: KubeApi, kept: KeptWorkloads): Promise<string[]> {
  const { namespace, appName } = kept;
  const listed = await api.apps.listNamespacedDeployment({
    namespace,
    labelSelector: `${LABEL_APP}=${appName},${LABEL_MANAGED_BY}=${MANAGED_BY}`,
  });
  const gone: KubernetesObject[] = listed.items
    .filter((d) => !kept.deployments.has(d.metadata?.name ?? ""))
    .map((d) => ref("apps/v1", "Deployment", namespace, d.metadata?.name ?? ""));
  if (!kept.web) {
    gone.push(
      ref("v1", "Service", namespace, appName),
      ref("networking.k8s.io/v1", "Ingress", namespace, appName),
    );
  }
  if (!kept.autoscaler) gone.push(ref("autoscaling/v2", "HorizontalPodAutoscaler", namespace, appName));
  const deleted = await Promise.all(gone.map((o) => deleteIfPresent(api, o)));
  return deleted.filter((name): name is string => name !== null);
}

/** Deletes the app's CronJobs that are not in `keep` (by name); returns the names deleted. */
export async function pruneCronJobs(
  api: KubeApi,
  namespace: string,
  appName: string,
  keep: ReadonlySet<string>,
): Promise<string[]> {
  const listed = await api.batch.listNamespacedCronJob({
    namespace,
    labelSelector: `${LABEL_APP}=${appName},${LABEL_PHASE}=${PHASE_CRON}`,
  });
  const gone = listed.items
    .map((c) => c.metadata?.name ?? "")
    .filter((name) => !keep.has(name))
    .map((name) => ref("batch/v1", "CronJob", namespace, name));
  const deleted = await Promise.all(gone.map((o) => deleteIfPresent(api, o)));
  return deleted.filter((name): name is string => name !== null);
}

function ref(apiVersion: string, kind: string, namespace: string, name: string): KubernetesObject {
  return { apiVersion, kind, metadata: { name, namespace } };
}

/** `Kind/name` when it was deleted, null when it was not there. */
async function deleteIfPresent(api: KubeApi, object: KubernetesObject): Promise<string | null> {
  try {
    // Background: the pods of a pruned Deployment or CronJob go with it.
    await api.objects.delete(object, undefined, undefined, undefined, undefined, "Background");
    return `${object.kind}/${object.metadata?.name}`;
  } catch (error) {
    if (httpStatusOf(error) === 404) return null;
    throw error;
  }
}
