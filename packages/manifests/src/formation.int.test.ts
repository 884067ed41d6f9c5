import { randomBytes } from "node:crypto";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type V1CronJob,
  type V1Deployment,
  type V1Job,
  type V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import { renderCronJob, renderReleaseJob } from "./one-off-jobs.ts";
import { applyOrder, renderApp } from "./render-app.ts";
import { resolveSettings } from "./settings.ts";

// The objects of process types, the release phase, cron and autoscaling, against the real API server of
// scripts/infra/kubernetes.sh: first as the server would store them (server-side dry-run), then for real,
// where kwok's stages run the pods (Running for Deployments, Succeeded for Job pods).
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

const FIELD_MANAGER = "kli8nt-manifests-test";
const settings = resolveSettings({ appsDomain: "apps.test.invalid" });

function sample(): { app: ManifestApp; release: ManifestRelease } {
  const suffix = randomBytes(4).toString("hex");
  return {
    app: { id: `app_${suffix}`, name: `fm-${suffix}` },
    release: {
      deploymentId: `dep_${randomBytes(16).toString("hex")}`,
      image: `registry.test.invalid/apps/shop@sha256:${randomBytes(32).toString("hex")}`,
      port: 3000,
      healthCheck: { path: "/healthz" },
      processes: [
        { type: "web", command: null, count: 3, memory: "1Gi", cpu: "1" },
        { type: "worker", command: "node worker.js", count: 2, memory: "768Mi", cpu: "500m" },
        { type: "clock", command: "node clock.js", count: 0, memory: "256Mi", cpu: "0.25" },
      ],
      autoscale: { min: 3, max: 5, targetCpu: 75 },
      restartedAt: "2026-12-04T16:00:00.000Z",
    },
  };
}

async function apply<T extends KubernetesObject>(kc: KubeConfig, object: T, dryRun = false): Promise<T> {
  return (await KubernetesObjectApi.makeApiClient(kc).patch(
    object,
    undefined,
    dryRun ? "All" : undefined,
    FIELD_MANAGER,
    true,
    PatchStrategy.ServerSideApply,
  )) as T;
}

describe.skipIf(!kubeconfigPath)("process types, release Job, CronJob and HPA on a real API server", () => {
  const kc = new KubeConfig();
  const created: string[] = [];
  const { app, release } = sample();
  const m = renderApp(app, release, settings);
  const run = { command: "node migrate.js", memory: "512Mi", cpu: "0.5", deadlineSeconds: 300 };
  const job = renderReleaseJob(app, release, run, settings);
  const cron = renderCronJob(app, release, { ...run, name: "nightly", schedule: "0 3 * * *" }, settings);

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    created.push(m.names.namespace);
    // The namespace and its guard rails for real: dry-run objects are admitted against them.
    for (const o of applyOrder(m).slice(0, 5)) await apply(kc, o);
  });

  afterAll(async () => {
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of created) await core.deleteNamespace({ name }).catch(() => undefined);
  });

  it("stores every object as rendered (server-side dry-run)", async () => {
    const workloads = applyOrder(m).slice(5);
    const stored = await Promise.all([...workloads, job, cron].map((o) => apply(kc, o, true)));
    const byName = new Map(stored.map((o) => [`${o.kind}/${o.metadata?.name}`, o]));
    const worker = byName.get(`Deployment/${app.name}-worker`) as V1Deployment;
    const container = worker.spec?.template.spec?.containers[0];
    expect(container?.command).toEqual(["sh", "-c", "node worker.js"]);
    expect(container?.ports).toBeUndefined();
    expect(container?.readinessProbe).toBeUndefined();
    expect(container?.resources).toEqual({
      requests: { cpu: "500m", memory: "768Mi" },
      limits: { cpu: "1", memory: "768Mi" },
    });
    expect(worker.spec?.replicas).toBe(2);
    expect((byName.get(`Deployment/${app.name}-clock`) as V1Deployment).spec?.replicas).toBe(0);
    const web = byName.get(`Deployment/${app.name}`) as V1Deployment;
    expect(web.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBe(
      release.restartedAt,
    );
    const hpa = byName.get(`HorizontalPodAutoscaler/${app.name}`) as V2HorizontalPodAutoscaler;
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 5 });
    expect(hpa.spec?.metrics?.[0]?.resource?.target).toEqual({ type: "Utilization", averageUtilization: 75 });
    const storedJob = byName.get(`Job/${job.metadata?.name}`) as V1Job;
    expect(storedJob.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 300,
      ttlSecondsAfterFinished: 3600,
    });
    expect(storedJob.spec?.template.spec?.securityContext).toEqual(web.spec?.template.spec?.securityContext);
    const storedCron = byName.get(`CronJob/${cron.metadata?.name}`) as V1CronJob;
    expect(storedCron.spec).toMatchObject({
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 60,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      suspend: false,
    });
  }, 60_000);

  it("the quota admits the whole formation: every web and worker pod runs, the release Job completes", async () => {
    for (const o of applyOrder(m).slice(5)) await apply(kc, o);
    await apply(kc, cron);
    await apply(kc, job);
    const namespace = m.names.namespace;
    const apps = kc.makeApiClient(AppsV1Api);
    for (const [name, replicas] of [
      [app.name, 3],
      [`${app.name}-worker`, 2],
    ] as const) {
      await eventually(`${name} available`, async () => {
        const d = await apps.readNamespacedDeployment({ name, namespace });
        return d.status?.availableReplicas === replicas ? d : undefined;
      });
    }
    const done = await eventually("release Job complete", async () => {
      const j = await kc
        .makeApiClient(BatchV1Api)
        .readNamespacedJob({ name: job.metadata?.name ?? "", namespace });
      return j.status?.succeeded === 1 ? j : undefined;
    });
    expect(done.status?.conditions?.find((c) => c.type === "Complete")?.status).toBe("True");
    const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
    // The Service selects web pods only.
    const selected = pods.items.filter(
      (p) => p.metadata?.labels?.["kli8nt.io/phase"] === "run" && p.status?.phase === "Running",
    );
    expect(selected).toHaveLength(3);
    const hpa = await kc
      .makeApiClient(AutoscalingV2Api)
      .readNamespacedHorizontalPodAutoscaler({ name: app.name, namespace });
    expect(hpa.spec?.scaleTargetRef.name).toBe(app.name);
  }, 120_000);
});
