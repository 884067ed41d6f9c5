import { LABEL_APP, LABEL_DEPLOYMENT, LABEL_PROCESS } from "@kli8nt/manifests";
import type { V1Deployment, V1Pod } from "@kubernetes/client-node";
import { httpStatusOf, type KubeApi } from "./kube-api.ts";

/** How one pod of a process type is doing. */
export interface PodObservation {
  readonly name: string;
  readonly deploymentId: string;
  readonly phase: string;
  readonly ready: boolean;
  readonly restarts: number;
  /** `CrashLoopBackOff`, `ImagePullBackOff`, … while the container waits. */
  readonly waiting: string | null;
  /** The last termination's message (terminationMessagePath, else its reason and exit code). */
  readonly lastTermination: string | null;
}

/** One process type as the cluster runs it. */
export interface ProcessObservation {
  readonly type: string;
  readonly deployment: string;
  readonly desired: number;
  readonly ready: number;
  readonly available: number;
  /** Container restarts summed over its pods. */
  readonly restarts: number;
  readonly lastTermination: string | null;
  readonly pods: readonly PodObservation[];
}

/** Every process type of the app, from its Deployments and their pods; none when the namespace is gone. */
export async function observeProcesses(
  api: KubeApi,
  namespace: string,
  appName: string,
): Promise<ProcessObservation[]> {
  const selector = `${LABEL_APP}=${appName}`;
  try {
    const [deployments, pods] = await Promise.all([
      api.apps.listNamespacedDeployment({ namespace, labelSelector: selector }),
      api.core.listNamespacedPod({ namespace, labelSelector: selector }),
    ]);
    return deployments.items.map((d) => observeOne(appName, d, pods.items));
  } catch (error) {
    if (httpStatusOf(error) === 404) return [];
    throw error;
  }
}

function typeOf(appName: string, deployment: V1Deployment): string {
  const name = deployment.metadata?.name ?? "";
  return name === appName ? "web" : name.slice(appName.length + 1);
}

function observeOne(appName: string, d: V1Deployment, pods: readonly V1Pod[]): ProcessObservation {
  const type = typeOf(appName, d);
  const mine = pods
    .filter((p) => (p.metadata?.labels?.[LABEL_PROCESS] ?? "web") === type)
    .filter((p) => p.metadata?.labels?.["kli8nt.io/phase"] === (type === "web" ? "run" : "process"))
    .map(observePod);
  return {
    type,
    deployment: d.metadata?.name ?? "",
    desired: d.spec?.replicas ?? 0,
    ready: d.status?.readyReplicas ?? 0,
    available: d.status?.availableReplicas ?? 0,
    restarts: mine.reduce((sum, p) => sum + p.restarts, 0),
    lastTermination: mine.find((p) => p.lastTermination !== null)?.lastTermination ?? null,
    pods: mine,
  };
}

function observePod(pod: V1Pod): PodObservation {
  const status = pod.status?.containerStatuses?.[0];
  const last = status?.lastState?.terminated;
  const lastTermination = last
    ? (last.message?.trim() ?? "") || `${last.reason ?? "Terminated"} (exit code ${last.exitCode})`
    : null;
  return {
    name: pod.metadata?.name ?? "",
    deploymentId: pod.metadata?.labels?.[LABEL_DEPLOYMENT] ?? "",
    phase: pod.status?.phase ?? "Unknown",
    ready: status?.ready === true,
    restarts: status?.restartCount ?? 0,
    waiting: status?.state?.waiting?.reason ?? null,
    lastTermination,
  };
}
