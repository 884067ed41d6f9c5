import type { V1Toleration } from "@kubernetes/client-node";

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
