import type { KubernetesObject } from "@kubernetes/client-node";
import type { AppReleaseWithCron } from "./app-release.ts";
import { httpStatusOf, type KubeApi } from "./kube-api.ts";
import type { KubernetesDeployer } from "./kubernetes-deployer.ts";

/** The APIService metrics-server (or any metrics.k8s.io adapter) registers: what an HPA on CPU reads. */
export const METRICS_API_SERVICE = "v1beta1.metrics.k8s.io";

export interface MetricsApiState {
  readonly present: boolean;
  /** The aggregator's `Available` condition (false for a registered API whose server does not answer). */
  readonly available: boolean;
  readonly message: string;
}

/** Reads the metrics APIService. Absent when it is not registered, or when we may not read it (403). */
export async function metricsApiState(api: KubeApi): Promise<MetricsApiState> {
  try {
    const svc = (await api.objects.read({
      apiVersion: "apiregistration.k8s.io/v1",
      kind: "APIService",
      metadata: { name: METRICS_API_SERVICE },
    } as KubernetesObject & { metadata: { name: string } })) as KubernetesObject & {
      status?: { conditions?: Array<{ type?: string; status?: string; message?: string }> };
    };
    const condition = svc.status?.conditions?.find((c) => c.type === "Available");
    return {
      present: true,
      available: condition?.status === "True",
      message: condition?.message ?? "",
    };
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 404)
      return { present: false, available: false, message: `${METRICS_API_SERVICE} is not registered` };
    if (status === 403)
      return { present: false, available: false, message: `may not read APIService ${METRICS_API_SERVICE}` };
    throw error;
  }
}

const CACHE_MS = 30_000;
const cache = new WeakMap<KubeApi, { readonly at: number; readonly present: boolean }>();

/** Whether the metrics API is registered, read at most every 30 s per client (each resync asks per app). */
export async function metricsApiPresent(api: KubeApi, now = Date.now()): Promise<boolean> {
  const hit = cache.get(api);
  if (hit && now - hit.at < CACHE_MS) return hit.present;
  const { present } = await metricsApiState(api);
  cache.set(api, { at: now, present });
  return present;
}

/** Forgets the cached answer (tests register and remove the APIService). */
export function forgetMetricsApi(api: KubeApi): void {
  cache.delete(api);
}

export const AUTOSCALE_NEEDS_METRICS_API =
  "Autoscaling needs the Kubernetes metrics API (APIService v1beta1.metrics.k8s.io, e.g. metrics-server); web keeps its count until it is installed";

/**
 * The release as it can run: without the metrics API an HPA could never read CPU, and an apply without
 * replicas would leave web at whatever count it had, so the autoscaler is dropped (and pruned) and web
 * keeps its formation count. `missing` says autoscaling was asked for and could not be applied.
 */
export async function gateAutoscale(
  api: KubeApi,
  target: AppReleaseWithCron,
): Promise<{ readonly target: AppReleaseWithCron; readonly missing: boolean }> {
  if (!target.release.autoscale || (await metricsApiPresent(api))) return { target, missing: false };
  const { autoscale: _dropped, ...release } = target.release;
  return { target: { ...target, release }, missing: true };
}

/**
 * The app's CronJobs at this release: one per entry (suspended while the app is stopped), the others
 * deleted. Nothing happens when the release carries no cron list (a caller that did not read it).
 */
export async function applyCron(deployer: KubernetesDeployer, target: AppReleaseWithCron): Promise<void> {
  if (!target.cron) return;
  await deployer.applyCronJobs(target.app, target.release, target.cron);
}
