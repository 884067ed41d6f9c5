import { type AppManifests, applyOrder } from "@kli8nt/manifests";
import {
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Deployment,
  type V1Toleration,
} from "@kubernetes/client-node";

// Helpers of the suites that run pods on the real node of scripts/infra/node.sh.

/** The toleration and node selector that put a pod on the real node instead of a kwok node. */
export function realNodePlacement(taint: string, node: string) {
  const [, key, value, effect] = /^([^=]+)=([^:]*):(\w+)$/.exec(taint) ?? [];
  if (key === undefined || value === undefined || effect === undefined) {
    throw new Error(`KLI8NT_TEST_NODE_TAINT is not key=value:effect: ${taint}`);
  }
  const toleration: V1Toleration = { key, operator: "Equal", value, effect };
  return { tolerations: [toleration], nodeSelector: { "kubernetes.io/hostname": node } };
}

/**
 * Applies what packages/manifests renders for an app, in its order and with server-side apply as the
 * deploy controller does, with one change: the real node's placement on the pod template.
 */
export async function applyOnRealNode(kc: KubeConfig, manifests: AppManifests, taint: string, node: string) {
  const deployment: V1Deployment = structuredClone(manifests.deployment);
  const pod = deployment.spec?.template.spec;
  if (!pod) throw new Error("rendered Deployment has no pod template");
  Object.assign(pod, realNodePlacement(taint, node));
  const objects = KubernetesObjectApi.makeApiClient(kc);
  for (const object of applyOrder({ ...manifests, deployment })) {
    await objects.patch(object, undefined, undefined, "kli8nt-test", true, PatchStrategy.ServerSideApply);
  }
}
