import { randomBytes } from "node:crypto";
import { type ManifestProcess, resolveSettings } from "@kli8nt/manifests";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { AutoscalingV2Api, BatchV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeKubeApi } from "./kube-api.ts";
import { type AppRelease, KubernetesDeployer } from "./kubernetes-deployer.ts";

// The deployer's formation, release phase, cron and observation against the test cluster of
// scripts/infra/kubernetes.sh. kwok runs the pods: Deployment pods become Running and Ready, Job pods
// Succeeded, and Job pods of an image named *exits-nonzero* Failed with exit code 3 (test/k8s/kwok).
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
const missing = failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

const image = (name: string) =>
  `registry.test.invalid/apps/${name}@sha256:${randomBytes(32).toString("hex")}`;
const web: ManifestProcess = { type: "web", command: null, count: 2, memory: "256Mi", cpu: "100m" };
const worker: ManifestProcess = {
  type: "worker",
  command: "node worker.js",
  count: 1,
  memory: "128Mi",
  cpu: "50m",
};
const run = { command: "node migrate.js", memory: "128Mi", cpu: "100m", deadlineSeconds: 120 };

describe.skipIf(missing)("KubernetesDeployer: formation, release Job, CronJobs, observe", () => {
  const kc = new KubeConfig();
  const prefix = `kfm${randomBytes(3).toString("hex")}-`;
  let deployer: KubernetesDeployer;

  beforeAll(() => {
    kc.loadFromFile(kubeconfigPath ?? "");
    deployer = new KubernetesDeployer(makeKubeApi(kc), {
      settings: resolveSettings({ appsDomain: "apps.test.invalid", namespacePrefix: prefix }),
      pollMs: 200,
    });
  });

  afterAll(async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const namespaces = await core.listNamespace();
    for (const ns of namespaces.items) {
      const name = ns.metadata?.name ?? "";
      if (name.startsWith(prefix)) await core.deleteNamespace({ name }).catch(() => undefined);
    }
  });

  const target = (processes: readonly ManifestProcess[], extra: Partial<AppRelease["release"]> = {}) => ({
    app: { id: "app_fm", name: "shop" },
    release: { deploymentId: "dep_fm_1", image: image("shop"), port: 3000, processes, ...extra },
    env: { GREETING: "hi" },
  });

  it("deploys the formation, scales, restarts, and prunes a type that disappeared", async () => {
    const t = target([web, worker], { autoscale: { min: 2, max: 4, targetCpu: 80 } });
    expect(await deployer.deploy(t)).toEqual({ ok: true, url: "https://shop.apps.test.invalid" });
    // Under the autoscaler web's replicas are the HPA's: it raises them to its minimum.
    let seen = await eventually("web at the HPA's minimum", async () => {
      const now = await deployer.observe("shop");
      return now.find((p) => p.type === "web")?.available === 2 ? now : undefined;
    });
    expect(seen.map((p) => [p.type, p.desired, p.available])).toEqual([
      ["web", 2, 2],
      ["worker", 1, 1],
    ]);
    expect(seen.every((p) => p.restarts === 0 && p.lastTermination === null)).toBe(true);
    const hpa = await kc
      .makeApiClient(AutoscalingV2Api)
      .readNamespacedHorizontalPodAutoscaler({ name: "shop", namespace: deployer.namespaceOf("shop") });
    expect(hpa.spec?.maxReplicas).toBe(4);

    // worker=3, a restart, no more autoscaler: the same apply.
    const restartedAt = new Date().toISOString();
    const scaled = target([web, { ...worker, count: 3 }], { image: t.release.image, restartedAt });
    expect((await deployer.deploy(scaled)).ok).toBe(true);
    seen = await deployer.observe("shop");
    expect(seen.find((p) => p.type === "worker")?.available).toBe(3);
    expect(seen.find((p) => p.type === "web")?.desired).toBe(2);
    const gone = await kc
      .makeApiClient(AutoscalingV2Api)
      .readNamespacedHorizontalPodAutoscaler({ name: "shop", namespace: deployer.namespaceOf("shop") })
      .then(
        () => "present",
        () => "gone",
      );
    expect(gone).toBe("gone");

    // The worker type leaves the Procfile: its Deployment goes.
    expect((await deployer.deploy(target([web], { image: t.release.image }))).ok).toBe(true);
    seen = await deployer.observe("shop");
    expect(seen.map((p) => p.type)).toEqual(["web"]);
  }, 120_000);

  it("runs the release phase as a Job: success with its output, failure with exit code and last lines", async () => {
    const t = target([web]);
    const lines: string[] = [];
    const ok = await deployer.runRelease(t, run, { onLine: (l) => lines.push(l) });
    expect(ok).toMatchObject({ exitCode: 0 });
    expect(ok.reason).toBeUndefined();
    // kwok serves one fixed log for every container.
    expect(lines.join("\n")).toContain("fake container log line");
    expect(ok.tail.length).toBeGreaterThan(0);

    const failing = target([web], { deploymentId: "dep_fm_2", image: image("release-exits-nonzero") });
    const failed = await deployer.runRelease(failing, run);
    expect(failed.exitCode).toBe(3);
    expect(failed.reason).toMatch(/shop-release-dep-fm-2 exited with code 3/);
    const job = await kc
      .makeApiClient(BatchV1Api)
      .readNamespacedJob({ name: "shop-release-dep-fm-2", namespace: deployer.namespaceOf("shop") });
    expect(job.spec?.backoffLimit).toBe(0);

    // A redelivery attaches to the finished run: no second Job, the same result.
    const again = await deployer.runRelease(failing, run);
    expect(again.exitCode).toBe(3);
  }, 120_000);

  it("applies CronJobs and prunes the ones deleted", async () => {
    const t = target([web]);
    await deployer.apply(t);
    const entry = { ...run, schedule: "0 3 * * *" };
    const first = await deployer.applyCronJobs(t.app, t.release, [
      { ...entry, name: "nightly" },
      { ...entry, name: "hourly", schedule: "0 * * * *" },
    ]);
    expect(first).toEqual({ applied: ["shop-cron-nightly", "shop-cron-hourly"], deleted: [] });
    const second = await deployer.applyCronJobs(t.app, t.release, [{ ...entry, name: "nightly" }]);
    expect(second.deleted).toEqual(["CronJob/shop-cron-hourly"]);
    const listed = await kc
      .makeApiClient(BatchV1Api)
      .listNamespacedCronJob({ namespace: deployer.namespaceOf("shop") });
    expect(listed.items.map((c) => [c.metadata?.name, c.spec?.concurrencyPolicy])).toEqual([
      ["shop-cron-nightly", "Forbid"],
    ]);
  }, 60_000);

  it("observes nothing for an app without a namespace", async () => {
    expect(await deployer.observe("never-deployed")).toEqual([]);
  });
});
