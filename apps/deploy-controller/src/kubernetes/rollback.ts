import { LABEL_DEPLOYMENT } from "@kli8nt/manifests";
import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from "@kubernetes/client-node";
import { applyObject, type KubeApi } from "./kube-api.ts";

const REVISION = "deployment.kubernetes.io/revision";
/** Added by the Deployment controller to each ReplicaSet's template; ours must not carry it. */
const TEMPLATE_HASH = "pod-template-hash";

function revisionOf(object: { metadata?: { annotations?: Record<string, string> } }): number {
  return Number(object.metadata?.annotations?.[REVISION] ?? 0);
}

/**
 * The ReplicaSet that served before the current rollout: the newest revision other than the
 * Deployment's own, among the ReplicaSets it owns. Null for an app's first release.
 */
export function previousReplicaSet(
  deployment: V1Deployment,
  sets: readonly V1ReplicaSet[],
): V1ReplicaSet | null {
  const uid = deployment.metadata?.uid;
  const current = revisionOf(deployment);
  const owned = sets.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === uid));
  const older = owned.filter((rs) => revisionOf(rs) !== current);
  older.sort((a, b) => revisionOf(b) - revisionOf(a));
  return older[0] ?? null;
}

/** The ReplicaSet's pod template as it can go back into a Deployment. */
export function templateOf(rs: V1ReplicaSet): V1PodTemplateSpec | null {
  const template = rs.spec?.template;
  if (!template) return null;
  const labels = { ...template.metadata?.labels };
  delete labels[TEMPLATE_HASH];
  return { ...template, metadata: { ...template.metadata, labels } };
}

export interface RolledBack {
  /** The release (kli8nt.io/deployment) whose pods serve again. */
  readonly deploymentId: string | null;
  readonly replicaSet: string;
}

/**
 * Puts the previous ReplicaSet's pod template back into the Deployment, like `kubectl rollout undo`,
 * but through our server-side apply so the field ownership stays ours. The Deployment controller finds
 * the ReplicaSet with that template hash and keeps it, so the old pods never stop serving.
 */
export async function rollBackToPrevious(api: KubeApi, rendered: V1Deployment): Promise<RolledBack | null> {
  const namespace = rendered.metadata?.namespace ?? "";
  const name = rendered.metadata?.name ?? "";
  const live = await api.apps.readNamespacedDeployment({ name, namespace });
  const selector = live.spec?.selector.matchLabels ?? {};
  const sets = await api.apps.listNamespacedReplicaSet({
    namespace,
    labelSelector: Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
  });
  const previous = previousReplicaSet(live, sets.items);
  const template = previous && templateOf(previous);
  if (!previous || !template) return null;
  const deploymentId = template.metadata?.labels?.[LABEL_DEPLOYMENT] ?? null;
  const labels = { ...rendered.metadata?.labels };
  if (deploymentId) labels[LABEL_DEPLOYMENT] = deploymentId;
  await applyObject(api, {
    ...rendered,
    metadata: { ...rendered.metadata, labels },
    spec: { ...rendered.spec, selector: rendered.spec?.selector ?? { matchLabels: selector }, template },
  } as V1Deployment);
  return { deploymentId, replicaSet: previous.metadata?.name ?? "" };
}
