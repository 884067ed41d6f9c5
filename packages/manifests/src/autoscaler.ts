import type { V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import type { Autoscale, ManifestApp } from "./inputs.ts";
import type { AppNames } from "./names.ts";

/**
 * Scales `web` between `min` and `max` on CPU utilisation of its request (autoscaling/v2). Needs the
 * metrics API (metrics-server); without it the HPA reports it cannot read metrics and leaves replicas as
 * they are, which `kli8nt doctor` tells the operator.
 */
export function renderAutoscaler(
  app: ManifestApp,
  names: AppNames,
  labels: Record<string, string>,
  autoscale: Autoscale,
): V2HorizontalPodAutoscaler {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: names.workload, namespace: names.namespace, labels },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: app.name },
      minReplicas: autoscale.min,
      maxReplicas: autoscale.max,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: autoscale.targetCpu } },
        },
      ],
    },
  };
}
