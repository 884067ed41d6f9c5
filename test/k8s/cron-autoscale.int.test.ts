import type { App } from "@kli8nt/core";
import {
  createCronJob,
  type Database,
  deleteCronJob,
  listCronRuns,
  loadDeployment,
  openTestDatabase,
  replaceEnv,
  saveFormation,
  setAppLifecycle,
} from "@kli8nt/db";
import {
  AUTOSCALE_NEEDS_METRICS_API,
  forgetMetricsApi,
  METRICS_API_SERVICE,
  recordCronRuns,
} from "@kli8nt/deploy-controller/kubernetes";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageNamed } from "./deploy-controller-cluster.ts";
import { Harness, type Instance } from "./deploy-controller-harness.ts";

// Cron entries and web's autoscaler on Kubernetes (ADR 0206, 0207), level-triggered: rows written as the
// api writes them, then the deploy controller's resync, against the API server, controller-manager
// (its CronJob controller) and kwok of scripts/infra/kubernetes.sh. The test cluster has no metrics-server:
// the metrics API is registered here as a stub APIService, which is only an object.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

const STUB_METRICS_API = {
  apiVersion: "apiregistration.k8s.io/v1",
  kind: "APIService",
  metadata: { name: METRICS_API_SERVICE },
  spec: { group: "metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100 },
};

describe.skipIf(!kubeconfigPath)("cron and autoscaling on Kubernetes", () => {
  const kc = new KubeConfig();
  let database: Database;
  let h: Harness;
  let instance: Instance;
  let app: App;
  let namespace: string;
  const batch = () => kc.makeApiClient(BatchV1Api);
  const hpas = () => kc.makeApiClient(AutoscalingV2Api);
  const cronJobs = async () => (await batch().listNamespacedCronJob({ namespace })).items;

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    database = await openTestDatabase("pglite");
    h = new Harness(kc, database);
    instance = await h.start();
    app = await h.newApp();
    namespace = h.namespaceOf(app);
    await replaceEnv(database.db, h.box, app.id, [{ key: "TOKEN", value: "s3cret", secret: true }]);
    const v1 = await h.queueDeploy(app, imageNamed("cron-v1"));
    expect(await h.settledInform(instance, v1.deploymentId)).toMatchObject({ state: "live" });
  }, 120_000);

  afterAll(async () => {
    await KubernetesObjectApi.makeApiClient(kc)
      .delete(STUB_METRICS_API)
      .catch(() => undefined);
    await h?.close();
    await database?.close();
  });

  it("a cron entry becomes a CronJob of the live release (Forbid, env Secret, resources), follows a deploy, is suspended while stopped and deleted with its row", async () => {
    await createCronJob(database.db, app, { name: "nightly", schedule: "0 3 * * *", command: "echo hi" }, 10);
    await instance.controller.resync();
    const [created] = await cronJobs();
    expect(created?.metadata?.name).toBe(`${app.name}-cron-nightly`);
    expect(created?.spec).toMatchObject({
      schedule: "0 3 * * *",
      timeZone: "Etc/UTC",
      concurrencyPolicy: "Forbid",
      suspend: false,
    });
    const container = created?.spec?.jobTemplate.spec?.template.spec?.containers[0];
    const live = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: app.name, namespace });
    const web = live.spec?.template.spec?.containers[0];
    expect(container?.image).toBe(web?.image);
    expect(container?.command).toEqual(["sh", "-c", "echo hi"]);
    expect(container?.envFrom?.[0]?.secretRef?.name).toBe(`${app.name}-env`);
    expect(container?.resources?.limits?.memory).toBe(web?.resources?.limits?.memory);
    expect(created?.spec?.jobTemplate.metadata?.labels?.["kli8nt.io/phase"]).toBe("cron");

    const v2 = await h.queueDeploy(app, imageNamed("cron-v2"));
    expect(await h.settledInform(instance, v2.deploymentId)).toMatchObject({ state: "live" });
    const [followed] = await cronJobs();
    expect(followed?.spec?.jobTemplate.spec?.template.spec?.containers[0]?.image).toBe(v2.image);

    await setAppLifecycle(database.db, app.id, { stopped: true });
    await instance.controller.resync();
    expect((await cronJobs())[0]?.spec?.suspend).toBe(true);
    await setAppLifecycle(database.db, app.id, { stopped: false });
    await instance.controller.resync();
    expect((await cronJobs())[0]?.spec?.suspend).toBe(false);

    await deleteCronJob(database.db, app, "nightly");
    await instance.controller.resync();
    expect(await cronJobs()).toEqual([]);
  }, 180_000);

  it("a run of a CronJob lands in the history from its Job's status", async () => {
    const job = await createCronJob(
      database.db,
      app,
      { name: "minutely", schedule: "* * * * *", command: "echo tick" },
      10,
    );
    await instance.controller.resync();
    // The CronJob controller starts the next minute's Job; kwok ends its pod Succeeded; recordCronRuns
    // (what each resync runs per app with cron entries) writes what the Jobs say.
    const api = instance.controller.deployer.api;
    const row = await eventually(
      "a finished cron run recorded from its Job",
      async () => {
        await recordCronRuns(database.db, api, app, namespace);
        const [newest] = await listCronRuns(database.db, job.id, { limit: 5 });
        return newest?.state === "succeeded" ? newest : undefined;
      },
      100_000,
      1000,
    );
    expect(row).toMatchObject({ state: "succeeded", exitCode: 0 });
    expect(row.scheduledAt.getUTCSeconds()).toBe(0);
    expect(row.finishedAt).toBeInstanceOf(Date);
    expect(row.deploymentId).toMatch(/.+/);
    const runs = await recordCronRuns(database.db, api, app, namespace);
    expect(runs[0]).toMatchObject({ cron: "minutely", state: "succeeded", exitCode: 0 });
    // Recording again changes nothing: one row per scheduled minute.
    await recordCronRuns(database.db, api, app, namespace);
    expect((await listCronRuns(database.db, job.id, { limit: 5 })).length).toBe(runs.length);
    await deleteCronJob(database.db, app, "minutely");
    await instance.controller.resync();
  }, 150_000);

  it("web's autoscale is an HPA only while the metrics API is registered, and goes when unset", async () => {
    const autoscale = { min: 2, max: 5, targetCpu: 70 };
    // As PATCH …/formation stores it: beside web's count in the formation's JSON.
    const formation = { web: { count: 2, autoscale } };
    await saveFormation(database.db, app.id, formation);
    await instance.controller.resync();
    // No metrics API: no HPA, and web keeps the count it has.
    expect((await hpas().listNamespacedHorizontalPodAutoscaler({ namespace })).items).toEqual([]);
    const fixed = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: app.name, namespace });
    expect(fixed.spec?.replicas).toBe(2);
    // A deploy says so on the deployment, for the api and the UI.
    const v3 = await h.queueDeploy(app, imageNamed("cron-v3"));
    expect(await h.settledInform(instance, v3.deploymentId)).toMatchObject({ state: "live" });
    const deployment = await loadDeployment(database.db, v3.deploymentId);
    expect(deployment?.conditions).toContainEqual(
      expect.objectContaining({
        type: "degraded",
        status: "true",
        reason: "MetricsApiMissing",
        message: AUTOSCALE_NEEDS_METRICS_API,
      }),
    );
    expect((await hpas().listNamespacedHorizontalPodAutoscaler({ namespace })).items).toEqual([]);

    await KubernetesObjectApi.makeApiClient(kc).patch(
      STUB_METRICS_API,
      undefined,
      undefined,
      "kli8nt-test",
      true,
      PatchStrategy.ServerSideApply,
    );
    try {
      forgetMetricsApi(instance.controller.deployer.api);
      await instance.controller.resync();
      const hpa = await hpas().readNamespacedHorizontalPodAutoscaler({ name: app.name, namespace });
      expect(hpa.spec).toMatchObject({
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: app.name },
        minReplicas: 2,
        maxReplicas: 5,
        metrics: [
          {
            type: "Resource",
            resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
          },
        ],
      });
      // The replicas are the HPA's now: our field manager no longer owns them.
      const scaled = await kc
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ name: app.name, namespace });
      const ours = scaled.metadata?.managedFields?.find((f) => f.manager === "kli8nt-deploy-controller");
      expect(JSON.stringify(ours?.fieldsV1 ?? {})).not.toContain('"f:replicas"');

      await saveFormation(database.db, app.id, { web: { count: 3 } });
      await instance.controller.resync();
      await eventually(
        "the HPA deleted",
        async () =>
          (await hpas().listNamespacedHorizontalPodAutoscaler({ namespace })).items.length === 0
            ? true
            : undefined,
        10_000,
      );
      const back = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: app.name, namespace });
      expect(back.spec?.replicas).toBe(3);
    } finally {
      // The stub has no server behind it: discovery of metrics.k8s.io fails while it exists.
      await KubernetesObjectApi.makeApiClient(kc).delete(STUB_METRICS_API);
    }
  }, 120_000);
});
