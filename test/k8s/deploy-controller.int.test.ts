import type { App, DeployRequested } from "@kli8nt/core";
import { type Database, deleteApp, ensureAdminUser, openTestDatabase, replaceEnv } from "@kli8nt/db";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, NetworkingV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockReadiness, imageNamed } from "./deploy-controller-cluster.ts";
import { Harness, type Instance } from "./deploy-controller-harness.ts";

// The deploy controller's Kubernetes runtime against the real API server, controller-manager, scheduler
// and kwok of scripts/infra/kubernetes.sh, with real PGlite, the outbox relay and the in-memory bus.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

describe.skipIf(!kubeconfigPath)("deploy controller on Kubernetes", () => {
  const kc = new KubeConfig();
  let database: Database;
  let h: Harness;
  let instance: Instance;
  const cleanups: Array<() => Promise<void>> = [];
  const apps = () => kc.makeApiClient(AppsV1Api);
  const core = () => kc.makeApiClient(CoreV1Api);

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    database = await openTestDatabase("pglite");
    h = new Harness(kc, database);
    instance = await h.start();
  });

  afterAll(async () => {
    await h?.close();
    for (const cleanup of cleanups) await cleanup();
    await database?.close();
  });

  let app: App;
  let v1: DeployRequested;
  let v2: DeployRequested;
  let v4: DeployRequested;

  it("deploys: Deployment Available with kwok pods Running, Service and Ingress with host and TLS, INFORM live", async () => {
    app = await h.newApp();
    await replaceEnv(database.db, h.box, app.id, [{ key: "GREETING", value: "hi", secret: true }]);
    v1 = await h.queueDeploy(app, imageNamed("hello-v1"));
    const live = await h.settledInform(instance, v1.deploymentId);
    expect(live).toMatchObject({ state: "live", url: `https://${app.name}.apps.test.invalid`, reason: null });
    expect(instance.inform.filter((m) => m.deploymentId === v1.deploymentId).map((m) => m.state)).toEqual([
      "deploying",
      "live",
    ]);

    const namespace = h.namespaceOf(app);
    const d = await apps().readNamespacedDeployment({ name: app.name, namespace });
    expect(d.status?.conditions?.find((c) => c.type === "Available")?.status).toBe("True");
    expect(d.status?.availableReplicas).toBe(2);
    expect(d.spec?.template.spec?.containers[0]?.image).toBe(v1.image);
    expect(d.metadata?.managedFields?.some((f) => f.manager === "kli8nt-deploy-controller")).toBe(true);
    expect(await h.runningImages(namespace)).toEqual([v1.image, v1.image]);

    const service = await core().readNamespacedService({ name: app.name, namespace });
    expect(service.spec?.type).toBe("ClusterIP");
    const ingress = await kc
      .makeApiClient(NetworkingV1Api)
      .readNamespacedIngress({ name: app.name, namespace });
    expect(ingress.spec?.rules?.[0]?.host).toBe(`${app.name}.apps.test.invalid`);
    expect(ingress.spec?.tls).toEqual([
      { hosts: [`${app.name}.apps.test.invalid`], secretName: `${app.name}-tls` },
    ]);
    const secret = await core().readNamespacedSecret({ name: `${app.name}-env`, namespace });
    expect(Buffer.from(secret.data?.GREETING ?? "", "base64").toString()).toBe("hi");
  }, 120_000);

  it("a second deploy rolls forward to the new image", async () => {
    v2 = await h.queueDeploy(app, imageNamed("hello-v2"));
    expect(await h.settledInform(instance, v2.deploymentId)).toMatchObject({ state: "live" });
    const namespace = h.namespaceOf(app);
    const d = await apps().readNamespacedDeployment({ name: app.name, namespace });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe(v2.image);
    await eventually("only v2 pods", async () =>
      (await h.runningImages(namespace)).join() === [v2.image, v2.image].join() ? true : undefined,
    );
  }, 120_000);

  it("a rollout that never becomes ready ends failed with the reason, and the previous ReplicaSet keeps serving", async () => {
    const block = await blockReadiness(kc, "never-ready");
    cleanups.push(() => block.release());
    const v3 = await h.queueDeploy(app, imageNamed("hello-never-ready"));
    const failed = await h.settledInform(instance, v3.deploymentId);
    expect(failed.state).toBe("failed");
    expect(failed.reason).toContain("ProgressDeadlineExceeded");
    expect(failed.reason).toMatch(/pods: 0\/1 ready/);
    expect(failed.reason).toContain("rolled back to the previous ReplicaSet");

    const namespace = h.namespaceOf(app);
    const d = await apps().readNamespacedDeployment({ name: app.name, namespace });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe(v2.image);
    const sets = await apps().listNamespacedReplicaSet({ namespace });
    const serving = sets.items.filter((rs) => (rs.status?.readyReplicas ?? 0) > 0);
    expect(serving.map((rs) => rs.spec?.template?.spec?.containers[0]?.image)).toEqual([v2.image]);
    expect(serving.map((rs) => rs.status?.readyReplicas)).toEqual([2]);
    expect(await h.runningImages(namespace)).toEqual([v2.image, v2.image]);
  }, 120_000);

  it("a rollback to an earlier release re-applies its image", async () => {
    const back = await h.queueDeploy(app, v1.image);
    expect(await h.settledInform(instance, back.deploymentId)).toMatchObject({ state: "live" });
    const namespace = h.namespaceOf(app);
    await eventually("only v1 pods", async () =>
      (await h.runningImages(namespace)).join() === [v1.image, v1.image].join() ? true : undefined,
    );
  }, 120_000);

  it("a release the manifests refuse (an image by tag) fails at once with the reason", async () => {
    const bad = await h.queueDeploy(app, "registry.test.invalid/apps/hello:latest");
    const failed = await h.settledInform(instance, bad.deploymentId);
    expect(failed.state).toBe("failed");
    expect(failed.reason).toContain("release.image must be an image by digest");
    const d = await apps().readNamespacedDeployment({ name: app.name, namespace: h.namespaceOf(app) });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe(v1.image);
  }, 120_000);

  it("runs the release command as a Job before a release with a worker goes live", async () => {
    v4 = await h.queueDeploy(app, imageNamed("hello-v4"), {
      releaseCommand: "python manage.py migrate",
      processes: { web: null, worker: "python worker.py" },
    });
    expect(await h.settledInform(instance, v4.deploymentId)).toMatchObject({ state: "live" });
    const namespace = h.namespaceOf(app);
    const jobs = await kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace });
    const job = jobs.items.find((j) => j.metadata?.labels?.["kli8nt.io/deployment"] === v4.deploymentId);
    expect(job?.status?.succeeded).toBe(1);
    expect(job?.spec?.template.spec?.containers[0]?.image).toBe(v4.image);
    const worker = await apps().readNamespacedDeployment({ name: `${app.name}-worker`, namespace });
    expect(worker.spec?.template.spec?.containers[0]?.image).toBe(v4.image);
  }, 120_000);

  it("a failing release command fails the deployment with its last lines, and the previous release keeps serving", async () => {
    const v5 = await h.queueDeploy(app, imageNamed("release-exits-nonzero"), {
      releaseCommand: "python manage.py migrate",
    });
    const failed = await h.settledInform(instance, v5.deploymentId);
    expect(failed.state).toBe("failed");
    expect(failed.reason).toContain("The release command exited with code 3");
    // kwok's pod log: its fixed lines are the command's last output.
    expect(failed.reason).toContain("fake container log line");
    const namespace = h.namespaceOf(app);
    const d = await apps().readNamespacedDeployment({ name: app.name, namespace });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe(v4.image);
    // Web's two pods and the worker's one, all of the release before.
    expect(await h.runningImages(namespace)).toEqual([v4.image, v4.image, v4.image]);
  }, 120_000);

  it("deleting the app removes its namespace and everything in it", async () => {
    const admin = await ensureAdminUser(database.db);
    await deleteApp(database.db, admin.id, app.name);
    const report = await instance.controller.resync();
    expect(report.deleted).toEqual([app.name]);
    const gone = await eventually(
      "namespace deleted",
      () =>
        core()
          .readNamespace({ name: h.namespaceOf(app) })
          .then(
            () => undefined,
            (error: { code?: number }) => error.code,
          ),
      90_000,
    );
    expect(gone).toBe(404);
  }, 120_000);
});
