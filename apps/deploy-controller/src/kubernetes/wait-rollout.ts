import type { V1Pod } from "@kubernetes/client-node";
import { describeApiError, type KubeApi } from "./kube-api.ts";
import { type RolloutStatus, rolloutStatus } from "./rollout-status.ts";

export interface WaitRolloutOptions {
  readonly namespace: string;
  readonly name: string;
  /** The generation our apply produced: older status says nothing about this rollout. */
  readonly generation: number;
  /** Our own limit, past the Deployment's progress deadline, in case no controller reports at all. */
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly signal?: AbortSignal | undefined;
}

export type RolloutOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Polls the Deployment until its rollout completes or fails; transient API errors are retried. */
export async function waitForRollout(api: KubeApi, options: WaitRolloutOptions): Promise<RolloutOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  let last: RolloutStatus | undefined;
  let lastError = "";
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted();
    try {
      const d = await api.apps.readNamespacedDeployment({ name: options.name, namespace: options.namespace });
      last = rolloutStatus(d, options.generation);
      if (last.state === "complete") return { ok: true };
      if (last.state === "failed") {
        const pods = await podSummary(api, options.namespace, d.spec?.template.metadata?.labels);
        return { ok: false, reason: `Rollout failed (${last.reason}): ${last.message}${pods}` };
      }
    } catch (error) {
      if (options.signal?.aborted) throw error;
      lastError = describeApiError(error);
    }
    await sleep(options.pollMs, options.signal);
  }
  const where = last?.state === "progressing" ? last.message : lastError || "no status";
  return { ok: false, reason: `Rollout timed out after ${Math.round(options.timeoutMs / 1000)} s: ${where}` };
}

/** "; pods: 0/1 ready (app-x: Pending, no status)" for the release's pods, so the reason says what stuck. */
async function podSummary(api: KubeApi, namespace: string, labels?: Record<string, string>): Promise<string> {
  const release = labels?.["kli8nt.io/deployment"];
  if (!release) return "";
  try {
    const pods = await api.core.listNamespacedPod({
      namespace,
      labelSelector: `kli8nt.io/deployment=${release}`,
    });
    const ready = pods.items.filter(isReady).length;
    const stuck = pods.items
      .filter((p) => !isReady(p))
      .slice(0, 3)
      .map(describePod);
    return `; pods: ${ready}/${pods.items.length} ready${stuck.length ? ` (${stuck.join("; ")})` : ""}`;
  } catch (error) {
    return `; pods could not be listed: ${describeApiError(error)}`;
  }
}

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function describePod(pod: V1Pod): string {
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  const detail = waiting
    ? `${waiting.reason ?? "Waiting"}${waiting.message ? `: ${waiting.message}` : ""}`
    : "";
  return `${pod.metadata?.name}: ${pod.status?.phase ?? "Unknown"}${detail ? `, ${detail}` : ", not ready"}`;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // The listener goes away with the timer: the controller's signal lives as long as the process.
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
