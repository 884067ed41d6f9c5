import { type Db, writeNamedResourceSamples } from "@kli8nt/db";
import { KubernetesPodMetricsSampler } from "../metrics/kubernetes-pod-metrics.ts";
import { startStatsLoop } from "../metrics/podman-stats.ts";
import type { KubeApi } from "./kube-api.ts";
import { metricsApiPresent } from "./release-extras.ts";

/**
 * CPU and memory of every app pod into the metrics store (ADR 0185, 0208), every `intervalMs`, while the
 * metrics API is registered; without it each tick costs one cached APIService read and writes nothing.
 * metrics-server refreshes every 15 s by default, so sampling faster only repeats its numbers.
 */
export function startPodMetricsLoop(
  db: Db,
  api: KubeApi,
  logger: { warn(obj: object, msg: string): void },
  intervalMs = 30_000,
): { stop(): Promise<void> } {
  const sampler = new KubernetesPodMetricsSampler(api.objects);
  return startStatsLoop({
    sampler: { sample: async () => ((await metricsApiPresent(api)) ? sampler.sample() : []) },
    write: async (samples) => {
      await writeNamedResourceSamples(db, samples);
    },
    intervalMs,
    onError: (err) => logger.warn({ err }, "Pod metrics sample failed; the next one retries"),
  });
}
