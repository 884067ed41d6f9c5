import { describe, expect, it } from "vitest";
import { cpuCores, type PodMetrics, quantityBytes, samplesOfPodMetrics } from "./kubernetes-pod-metrics.ts";

// PodMetrics as metrics-server v0.7 answers `GET /apis/metrics.k8s.io/v1beta1/pods`: usage in nanocores and
// KiB, the pod's labels copied onto the object.
const managed = { "app.kubernetes.io/managed-by": "kli8nt" };
const pod = (name: string, labels: Record<string, string>, usage: Array<[string, string]>): PodMetrics => ({
  metadata: { name, labels: { ...managed, ...labels } },
  timestamp: "2026-12-04T21:00:15Z",
  containers: usage.map(([cpu, memory], i) => ({ name: `c${i}`, usage: { cpu, memory } })),
});

describe("the metrics API's PodMetrics as our samples", () => {
  it("reads metrics-server's quantities", () => {
    expect(cpuCores("250000000n")).toBeCloseTo(0.25);
    expect(cpuCores("1500u")).toBeCloseTo(0.0015);
    expect(cpuCores("250m")).toBeCloseTo(0.25);
    expect(cpuCores("2")).toBe(2);
    expect(cpuCores("lots")).toBeNull();
    expect(quantityBytes("52436Ki")).toBe(52436 * 1024);
    expect(quantityBytes("100Mi")).toBe(100 * 1024 ** 2);
    expect(quantityBytes("1G")).toBe(1e9);
    expect(quantityBytes("1048576")).toBe(1048576);
    expect(quantityBytes("12XB")).toBeNull();
  });

  it("sums pods per app and process type, leaving one-off runs and others' pods out", () => {
    const items = [
      pod("shop-7d9c-a", { "kli8nt.io/app": "shop", "kli8nt.io/phase": "run" }, [["120000000n", "51200Ki"]]),
      pod("shop-7d9c-b", { "kli8nt.io/app": "shop", "kli8nt.io/phase": "run" }, [["80000000n", "40960Ki"]]),
      pod(
        "shop-worker-5f-a",
        { "kli8nt.io/app": "shop", "kli8nt.io/phase": "process", "kli8nt.io/process": "worker" },
        [
          ["5m", "10Mi"],
          ["1000000n", "1Mi"],
        ],
      ),
      pod("shop-release-dep-1-x", { "kli8nt.io/app": "shop", "kli8nt.io/phase": "release" }, [["1", "1Gi"]]),
      pod("shop-cron-nightly-29-x", { "kli8nt.io/app": "shop", "kli8nt.io/phase": "cron" }, [["1", "1Gi"]]),
      {
        ...pod("other", { "kli8nt.io/app": "shop", "kli8nt.io/phase": "run" }, [["1", "1Gi"]]),
        metadata: {},
      },
    ];
    const samples = samplesOfPodMetrics(items, new Date(0));
    expect(samples).toHaveLength(2);
    const web = samples.find((s) => s.process === "web");
    expect(web).toMatchObject({ app: "shop", containers: 2, memoryBytes: (51200 + 40960) * 1024 });
    expect(web?.cpu).toBeCloseTo(0.2);
    expect(web?.at.toISOString()).toBe("2026-12-04T21:00:15.000Z");
    const worker = samples.find((s) => s.process === "worker");
    expect(worker).toMatchObject({ app: "shop", containers: 1, memoryBytes: 11 * 1024 ** 2 });
    expect(worker?.cpu).toBeCloseTo(0.006);
  });
});
