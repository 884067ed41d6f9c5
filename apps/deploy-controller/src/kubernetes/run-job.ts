import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { applyObject, describeApiError, type KubeApi } from "./kube-api.ts";
import { sleep } from "./wait-rollout.ts";

/** Lines of a failed run's output kept for the deployment's reason. */
export const TAIL_LINES = 20;
/** The Job's own deadline plus this, in case no controller ever reports on it. */
const WAIT_GRACE_MS = 60_000;
/** At most this much of a run's output is read back (the log controller keeps the full stream). */
const LOG_LIMIT_BYTES = 1024 * 1024;

export interface JobRun {
  /** The container's exit code; null when it was killed at its deadline or never ran. */
  readonly exitCode: number | null;
  /** Its last output lines. */
  readonly tail: readonly string[];
  /** Why it failed, for the deployment's reason; absent when it succeeded. */
  readonly reason?: string;
}

export interface RunJobOptions {
  readonly pollMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Each line of the run's output once it ended, in order. */
  readonly onLine?: ((line: string) => void) | undefined;
}

/**
 * Applies the Job and waits for it to succeed or fail. Its name is deterministic, so a redelivery
 * attaches to the run already made (or finished) instead of running the command twice.
 */
export async function runJob(api: KubeApi, job: V1Job, options: RunJobOptions): Promise<JobRun> {
  const namespace = job.metadata?.namespace ?? "";
  const name = job.metadata?.name ?? "";
  await applyObject(api, job);
  const deadlineMs = (job.spec?.activeDeadlineSeconds ?? 3600) * 1000 + WAIT_GRACE_MS;
  const until = Date.now() + deadlineMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const current = await api.batch.readNamespacedJob({ name, namespace });
    const ended = endOf(current);
    if (ended) return finish(api, current, ended, options);
    if (Date.now() > until) {
      return {
        exitCode: null,
        tail: [],
        reason: `Job ${name} reported nothing within ${deadlineMs / 1000} s`,
      };
    }
    await sleep(options.pollMs, options.signal);
  }
}

type Ending = { readonly ok: boolean; readonly reason: string };

function endOf(job: V1Job): Ending | null {
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((c) => c.type === "Failed" && c.status === "True");
  if (failed) return { ok: false, reason: `${failed.reason ?? "Failed"}: ${failed.message ?? ""}`.trim() };
  if (conditions.some((c) => c.type === "Complete" && c.status === "True")) return { ok: true, reason: "" };
  return null;
}

async function finish(api: KubeApi, job: V1Job, ended: Ending, options: RunJobOptions): Promise<JobRun> {
  const namespace = job.metadata?.namespace ?? "";
  const pod = await lastPod(api, namespace, job.metadata?.name ?? "");
  const terminated = pod?.status?.containerStatuses?.[0]?.state?.terminated;
  const lines = pod ? await podLog(api, namespace, pod.metadata?.name ?? "") : [];
  for (const line of lines) options.onLine?.(line);
  const tail = lines.slice(-TAIL_LINES);
  const exitCode = terminated?.exitCode ?? (ended.ok ? 0 : null);
  if (ended.ok && exitCode === 0) return { exitCode, tail };
  const status = exitCode === null ? "did not finish" : `exited with code ${exitCode}`;
  return { exitCode, tail, reason: `${job.metadata?.name} ${status} (${ended.reason})` };
}

async function lastPod(api: KubeApi, namespace: string, jobName: string): Promise<V1Pod | undefined> {
  const pods = await api.core.listNamespacedPod({
    namespace,
    labelSelector: `batch.kubernetes.io/job-name=${jobName}`,
  });
  const byStart = [...pods.items].sort((a, b) =>
    String(a.metadata?.creationTimestamp ?? "").localeCompare(String(b.metadata?.creationTimestamp ?? "")),
  );
  return byStart.at(-1);
}

/** The pod's output as lines; empty when the log is gone (node lost, pod evicted). */
async function podLog(api: KubeApi, namespace: string, pod: string): Promise<string[]> {
  try {
    const text = await api.core.readNamespacedPodLog({
      name: pod,
      namespace,
      container: "app",
      limitBytes: LOG_LIMIT_BYTES,
    });
    return String(text)
      .split("\n")
      .filter((line) => line.length > 0);
  } catch (error) {
    return [`(the output could not be read: ${describeApiError(error)})`];
  }
}
