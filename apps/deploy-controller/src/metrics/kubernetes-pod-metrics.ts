import {
  LABEL_APP,
  LABEL_MANAGED_BY,
  LABEL_PHASE,
  LABEL_PROCESS,
  MANAGED_BY,
  PHASE_PROCESS,
} from "@kli8nt/manifests";
import type { KubernetesObjectApi } from "@kubernetes/client-node";
import type { ProcessSample } from "./podman-stats.ts";

/** One pod's usage as the metrics API (metrics.k8s.io/v1beta1 PodMetrics) reports it. */
export interface PodMetrics {
  readonly metadata?: { readonly name?: string; readonly labels?: Readonly<Record<string, string>> };
  /** RFC 3339: when the usage was measured, over `window` (e.g. "15s"). */
  readonly timestamp?: string;
  readonly containers?: ReadonlyArray<{
    readonly name?: string;
    readonly usage?: { readonly cpu?: string; readonly memory?: string };
  }>;
}

const CPU_SUFFIX: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1 };
const MEMORY_SUFFIX: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** "123456789n" (metrics-server's form), "250m", "1" → cores; null for anything else. */
export function cpuCores(quantity: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(n|u|m|)$/.exec(quantity.trim());
  const scale = m ? CPU_SUFFIX[m[2] ?? ""] : undefined;
  return m?.[1] && scale !== undefined ? Number(m[1]) * scale : null;
}

/** "52436Ki" (metrics-server's form), "100Mi", "1G", "1048576" → bytes; null for anything else. */
export function quantityBytes(quantity: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|)$/.exec(quantity.trim());
  const scale = m ? MEMORY_SUFFIX[m[2] ?? ""] : undefined;
  return m?.[1] && scale !== undefined ? Math.round(Number(m[1]) * scale) : null;
}

/** A pod's app and process type from its labels; null for one-off pods (release, cron, build). */
function ownerOf(labels: Readonly<Record<string, string>>): { app: string; process: string } | null {
  const app = labels[LABEL_APP];
  if (!app) return null;
  const phase = labels[LABEL_PHASE];
  if (phase === "run") return { app, process: "web" };
  if (phase === PHASE_PROCESS && labels[LABEL_PROCESS]) return { app, process: labels[LABEL_PROCESS] };
  return null;
}

/** A pod's containers summed: cores busy and working-set bytes. */
function usageOf(pod: PodMetrics): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.containers ?? []) {
    cpu += cpuCores(c.usage?.cpu ?? "") ?? 0;
    memory += quantityBytes(c.usage?.memory ?? "") ?? 0;
  }
  return { cpu, memory };
}

/**
 * Sums the PodMetrics of our app pods per app and process type (ADR 0208): CPU in cores busy over the
 * metrics window (metrics-server's rate, so no previous sample is needed, unlike podman's CPU time), memory
 * as the working set. Pods of other installations, one-off runs and unparsable usage are left out.
 */
export function samplesOfPodMetrics(items: readonly PodMetrics[], fallbackAt: Date): ProcessSample[] {
  const byProcess = new Map<string, ProcessSample>();
  for (const pod of items) {
    const labels = pod.metadata?.labels ?? {};
    const owner = labels[LABEL_MANAGED_BY] === MANAGED_BY ? ownerOf(labels) : null;
    if (owner) addPod(byProcess, owner, pod, fallbackAt);
  }
  return [...byProcess.values()];
}

function addPod(
  byProcess: Map<string, ProcessSample>,
  owner: { app: string; process: string },
  pod: PodMetrics,
  fallbackAt: Date,
): void {
  const { cpu, memory } = usageOf(pod);
  const at = pod.timestamp ? new Date(pod.timestamp) : fallbackAt;
  const key = `${owner.app}\u0000${owner.process}`;
  const sum = byProcess.get(key);
  byProcess.set(key, {
    app: owner.app,
    process: owner.process,
    at: sum && sum.at > at ? sum.at : at,
    cpu: (sum?.cpu ?? 0) + cpu,
    memoryBytes: (sum?.memoryBytes ?? 0) + memory,
    containers: (sum?.containers ?? 0) + 1,
  });
}

/**
 * CPU and memory of every app pod from the metrics API, one cluster-wide list per sample (selected by our
 * managed-by label). Same samples as PodmanStatsSampler, for the same loop and store (ADR 0185).
 */
export class KubernetesPodMetricsSampler {
  readonly #objects: KubernetesObjectApi;
  readonly #now: () => number;

  constructor(objects: KubernetesObjectApi, now: () => number = Date.now) {
    this.#objects = objects;
    this.#now = now;
  }

  async sample(): Promise<ProcessSample[]> {
    const list = await this.#objects.list(
      "metrics.k8s.io/v1beta1",
      "PodMetrics",
      undefined,
      undefined,
      undefined,
      undefined,
      `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_APP}`,
    );
    return samplesOfPodMetrics(list.items as PodMetrics[], new Date(this.#now()));
  }
}
