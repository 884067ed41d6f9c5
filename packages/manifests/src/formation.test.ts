import { describe, expect, it } from "vitest";
import type { ManifestApp, ManifestProcess, ManifestRelease } from "./inputs.ts";
import { renderCronJob, renderReleaseJob } from "./one-off-jobs.ts";
import { cpuMillis, memoryBytes } from "./quantity.ts";
import { applyOrder, renderApp } from "./render-app.ts";
import { resolveSettings } from "./settings.ts";

const app: ManifestApp = { id: "app_1", name: "shop" };
const image = `registry.test/apps/shop@sha256:${"a".repeat(64)}`;
const settings = resolveSettings({ appsDomain: "apps.example.com" });
const web: ManifestProcess = { type: "web", command: null, count: 2, memory: "1Gi", cpu: "0.5" };
const worker: ManifestProcess = {
  type: "worker",
  command: "node worker.js",
  count: 1,
  memory: "256Mi",
  cpu: "250m",
};
const release: ManifestRelease = {
  deploymentId: "dep_0a1b2c3d4e5f60718293a4b5c6d7e8f9",
  image,
  port: 8080,
  healthCheck: { path: "/healthz" },
  processes: [web, worker],
};

describe("renderApp with a formation", () => {
  it("gives web its replicas and resources: memory request = limit, CPU limit twice the request", () => {
    const m = renderApp(app, release, settings);
    expect(m.deployment.spec?.replicas).toBe(2);
    const c = m.deployment.spec?.template.spec?.containers[0];
    expect(c?.resources).toEqual({
      requests: { cpu: "0.5", memory: "1Gi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
    expect(c?.ports?.[0]?.containerPort).toBe(8080);
    expect(c?.readinessProbe?.httpGet?.path).toBe("/healthz");
    expect(c?.command).toBeUndefined();
  });

  it("runs every other type in its own Deployment: no port, no probe, sh -c, a selector the Service never matches", () => {
    const m = renderApp(app, release, settings);
    expect(m.processes).toHaveLength(1);
    const d = m.processes[0];
    expect(d?.metadata?.name).toBe("shop-worker");
    expect(d?.spec?.replicas).toBe(1);
    const c = d?.spec?.template.spec?.containers[0];
    expect(c?.command).toEqual(["sh", "-c", "node worker.js"]);
    expect(c?.ports).toBeUndefined();
    expect(c?.readinessProbe).toBeUndefined();
    expect(c?.livenessProbe).toBeUndefined();
    expect(c?.env?.map((e) => e.name)).not.toContain("PORT");
    expect(c?.resources?.limits).toEqual({ cpu: "500m", memory: "256Mi" });
    const selector = d?.spec?.selector.matchLabels ?? {};
    expect(selector).toEqual({
      "kli8nt.io/app": "shop",
      "kli8nt.io/phase": "process",
      "kli8nt.io/process": "worker",
    });
    const serviceSelector = m.service.spec?.selector ?? {};
    const podLabels = d?.spec?.template.metadata?.labels ?? {};
    expect(Object.entries(serviceSelector).every(([k, v]) => podLabels[k] === v)).toBe(false);
    expect(applyOrder(m).map((o) => `${o.kind}/${o.metadata?.name}`)).toContain("Deployment/shop-worker");
  });

  it("keeps a type at count 0 as a Deployment with no replica", () => {
    const m = renderApp(app, { ...release, processes: [web, { ...worker, count: 0 }] }, settings);
    expect(m.processes[0]?.spec?.replicas).toBe(0);
  });

  it("a worker-only release applies no web Deployment, Service or Ingress", () => {
    const m = renderApp(app, { ...release, processes: [worker] }, settings);
    expect(m.web).toBe(false);
    expect(applyOrder(m).map((o) => o.kind)).not.toContain("Service");
    expect(
      applyOrder(m)
        .filter((o) => o.kind === "Deployment")
        .map((o) => o.metadata?.name),
    ).toEqual(["shop-worker"]);
  });

  it("a restart annotates every pod template as kubectl rollout restart does", () => {
    const at = "2026-12-04T16:00:00.000Z";
    const m = renderApp(app, { ...release, restartedAt: at }, settings);
    for (const d of [m.deployment, ...m.processes]) {
      expect(d.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBe(at);
    }
    expect(
      renderApp(app, release, settings).deployment.spec?.template.metadata?.annotations,
    ).not.toHaveProperty("kubectl.kubernetes.io/restartedAt");
  });

  it("renders an HPA for web and leaves replicas to it; none for a stopped web", () => {
    const autoscale = { min: 2, max: 6, targetCpu: 70 };
    const m = renderApp(app, { ...release, autoscale }, settings);
    expect(m.autoscaler?.spec).toMatchObject({
      scaleTargetRef: { kind: "Deployment", name: "shop" },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { averageUtilization: 70 } } }],
    });
    expect(m.deployment.spec).not.toHaveProperty("replicas");
    const stopped = renderApp(app, { ...release, autoscale, processes: [{ ...web, count: 0 }] }, settings);
    expect(stopped.autoscaler).toBeUndefined();
    expect(stopped.deployment.spec?.replicas).toBe(0);
  });

  it("derives a quota that admits the formation, its surge pods and the one-off pods", () => {
    const big: ManifestProcess = { ...web, count: 6, memory: "2Gi", cpu: "1" };
    const m = renderApp(app, { ...release, processes: [big, worker] }, settings);
    const hard = m.resourceQuota.spec?.hard ?? {};
    // web 7 × (1 CPU, 2Gi) + worker 2 × (250m, 256Mi) + 2 one-off pods of the largest size (1 CPU, 2Gi).
    expect(Number(hard.pods)).toBeGreaterThanOrEqual(7 + 2 + 2);
    expect(cpuMillis(hard["requests.cpu"] ?? "")).toBe(7000 + 500 + 2000);
    expect(cpuMillis(hard["limits.cpu"] ?? "")).toBe(2 * 9500);
    expect(memoryBytes(hard["requests.memory"] ?? "")).toBe((14 + 4) * 2 ** 30 + 512 * 2 ** 20);
    // A small formation keeps the operator's quota as it is.
    const small = renderApp(
      app,
      { ...release, processes: [{ ...web, count: 1, memory: "128Mi", cpu: "0.1" }] },
      settings,
    );
    expect(small.resourceQuota.spec?.hard).toMatchObject({
      pods: "10",
      "requests.cpu": "2",
      "limits.memory": "8Gi",
    });
  });

  it("refuses a bad formation with every problem named", () => {
    const bad: ManifestRelease = {
      ...release,
      processes: [
        { ...web, count: -1, cpu: "lots" },
        { ...worker, type: "Worker", memory: "1 GB" },
      ],
      autoscale: { min: 3, max: 2, targetCpu: 150 },
    };
    expect(() => renderApp(app, bad, settings)).toThrow(
      expect.objectContaining({
        code: "MANIFEST_INPUT_INVALID",
        issues: expect.arrayContaining([
          expect.objectContaining({ path: "release.processes[0].count" }),
          expect.objectContaining({ path: "release.processes[0].cpu" }),
          expect.objectContaining({ path: "release.processes[1].type" }),
          expect.objectContaining({ path: "release.processes[1].memory" }),
          expect.objectContaining({ path: "release.autoscale.max" }),
          expect.objectContaining({ path: "release.autoscale.targetCpu" }),
        ]),
      }),
    );
  });
});

describe("release Job and CronJobs", () => {
  const run = { command: "python manage.py migrate", memory: "512Mi", cpu: "0.5", deadlineSeconds: 600 };

  it("runs the release once: backoffLimit 0, a deadline, a TTL, the env Secret and the app's security context", () => {
    const job = renderReleaseJob(app, release, run, settings);
    expect(job.metadata?.name).toBe("shop-release-dep-0a1b2c3d4e5f60718293a4b5c6d7e8f9");
    expect(job.metadata?.namespace).toBe("kli8nt-app-shop");
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 3600,
    });
    const pod = job.spec?.template.spec;
    expect(pod?.restartPolicy).toBe("Never");
    expect(pod?.securityContext).toEqual(
      renderApp(app, release, settings).deployment.spec?.template.spec?.securityContext,
    );
    expect(pod?.containers[0]?.command).toEqual(["sh", "-c", "python manage.py migrate"]);
    // The release phase (migrations) also reads the PostgreSQL add-on's Secret (ADR 0226).
    expect(pod?.containers[0]?.envFrom).toEqual([
      { secretRef: { name: "shop-env", optional: true } },
      { secretRef: { name: "shop-postgres-credentials", optional: true } },
    ]);
    expect(job.spec?.template.metadata?.labels?.["kli8nt.io/phase"]).toBe("release");
  });

  it("keeps a release Job name within 63 characters for the longest app name", () => {
    const long = { id: "app_2", name: "a".repeat(63) };
    const name = renderReleaseJob(long, release, run, settings).metadata?.name ?? "";
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/-release-dep-0a1b2c3d4e5f60718293a4b5c6d7e8f9$/);
  });

  it("renders a cron entry as a CronJob: Forbid, a starting deadline, history limits, the env Secret", () => {
    const cron = renderCronJob(app, release, { ...run, name: "nightly", schedule: "0 3 * * *" }, settings);
    expect(cron.metadata?.name).toBe("shop-cron-nightly");
    expect(cron.spec).toMatchObject({
      schedule: "0 3 * * *",
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 60,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
    const pod = cron.spec?.jobTemplate.spec?.template.spec;
    expect(pod?.containers[0]?.envFrom?.[0]?.secretRef?.name).toBe("shop-env");
    expect(pod?.securityContext?.runAsNonRoot).toBe(true);
    const long = renderCronJob(
      { id: "x", name: "b".repeat(63) },
      release,
      { ...run, name: "nightly", schedule: "* * * * *" },
      settings,
    );
    expect(long.metadata?.name?.length).toBeLessThanOrEqual(52);
  });
});
