import { ApiException, type KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
import type { CheckResult } from "./doctor-checks.ts";

/** What metrics-server (or another metrics.k8s.io adapter) registers; web's autoscaler reads CPU from it. */
const METRICS_API_SERVICE = "v1beta1.metrics.k8s.io";

const INSTALL =
  "install metrics-server (kubectl apply -f its components.yaml, or its Helm chart) to get autoscaling of web and CPU/memory metrics per pod";

interface ApiServiceStatus {
  readonly status?: {
    readonly conditions?: ReadonlyArray<{ type?: string; status?: string; message?: string }>;
  };
}

/**
 * Whether the cluster serves the metrics API (ADR 0207). Optional: without it Kli8nt runs, but a formation's
 * autoscale is not applied (web keeps its count) and the Metrics tab has no CPU or memory on Kubernetes.
 */
export async function checkMetricsApi(kc: KubeConfig): Promise<CheckResult> {
  const name = "metrics-api";
  try {
    const svc = (await KubernetesObjectApi.makeApiClient(kc).read({
      apiVersion: "apiregistration.k8s.io/v1",
      kind: "APIService",
      metadata: { name: METRICS_API_SERVICE },
    })) as ApiServiceStatus;
    const available = svc.status?.conditions?.find((c) => c.type === "Available");
    if (available?.status === "True")
      return {
        name,
        ok: true,
        message: `The metrics API is present (APIService ${METRICS_API_SERVICE}, available)`,
      };
    return {
      name,
      ok: false,
      optional: true,
      message: `The metrics API is registered (APIService ${METRICS_API_SERVICE}) but not available${available?.message ? ` (${available.message})` : ""}: check that its server (metrics-server) runs`,
    };
  } catch (error) {
    if (!(error instanceof ApiException) || error.code !== 404) throw error;
    return {
      name,
      ok: false,
      optional: true,
      message: `The metrics API is absent (no APIService ${METRICS_API_SERVICE}): autoscaling and pod CPU/memory are off; ${INSTALL}`,
    };
  }
}
