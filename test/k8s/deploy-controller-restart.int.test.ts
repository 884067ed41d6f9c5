import type { DeployRequested } from "@kli8nt/core";
import { type Database, openTestDatabase } from "@kli8nt/db";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockReadiness, imageNamed } from "./deploy-controller-cluster.ts";
import { Harness } from "./deploy-controller-harness.ts";

// A controller that dies mid-rollout (abandoned: no more API calls, no more writes, its in-memory bus
// lost) and a fresh one whose start-up resync finishes the stuck `deploying` deployment without any
// message; a late redelivery (as RabbitMQ would send) changes nothing. Real API server, controllers, kwok.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

describe.skipIf(!kubeconfigPath)("deploy controller restart mid-rollout", () => {
  const kc = new KubeConfig();
  let database: Database;
  let h: Harness;
  let release: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    database = await openTestDatabase("pglite");
    // A deadline the kill/restart sequence fits in: here the rollout must not fail, only pause.
    h = new Harness(kc, database, 120);
  });

  afterAll(async () => {
    await h?.close();
    await release?.();
    await database?.close();
  });

  it("converges to the new release with no duplicate objects", async () => {
    const first = await h.start();
    const app = await h.newApp();
    const namespace = h.namespaceOf(app);
    const v1 = await h.queueDeploy(app, imageNamed("hello-v1"));
    expect(await h.settledInform(first, v1.deploymentId)).toMatchObject({ state: "live" });

    // Hold v2's pods unready so the first controller is surely mid-rollout when it dies.
    const hold = await blockReadiness(kc, "held");
    release = () => hold.release();
    const v2: DeployRequested = await h.queueDeploy(app, imageNamed("hello-held"));
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await eventually("v2 pod created and stuck", async () => {
      const pods = await core.listNamespacedPod({
        namespace,
        labelSelector: `kli8nt.io/deployment=${v2.deploymentId}`,
      });
      return pods.items.some((p) => p.status?.phase === "Pending") ? true : undefined;
    });
    await h.kill(first);
    expect(first.inform.filter((m) => m.deploymentId === v2.deploymentId).map((m) => m.state)).toEqual([
      "deploying",
    ]);

    // The "node" recovers: the hold goes and the stuck pods are replaced (kwok does not retry them).
    await hold.release();
    release = undefined;
    await core.deleteCollectionNamespacedPod({
      namespace,
      labelSelector: `kli8nt.io/deployment=${v2.deploymentId}`,
      gracePeriodSeconds: 0,
    });

    const second = await h.start();
    // The start-up resync never rolled the in-flight app back: v2 is still what the Deployment runs.
    const during = await apps.readNamespacedDeployment({ name: app.name, namespace });
    expect(during.spec?.template.spec?.containers[0]?.image).toBe(v2.image);
    // It resumed the `deploying` row itself (ADR 0163): v2 goes live with no DEPLOY redelivered.
    expect(await h.settledInform(second, v2.deploymentId)).toMatchObject({ state: "live" });
    // A late redelivery, and a resync, change nothing.
    await second.bus.publish("DEPLOY", { id: "redelivered", type: "DEPLOY", body: v2 });
    await eventually("redelivery skipped", async () =>
      second.logs.includes(`Skipped deploy: nothing to do ${v2.deploymentId}`) ? true : undefined,
    );
    const report = await second.controller.resync();
    expect(report).toMatchObject({ applied: [app.name], deleted: [], errors: [] });

    await eventually("only v2 pods", async () =>
      (await h.runningImages(namespace)).join() === [v2.image, v2.image].join() ? true : undefined,
    );
    const deployments = await apps.listNamespacedDeployment({ namespace });
    expect(deployments.items.map((d) => d.metadata?.name)).toEqual([app.name]);
    expect(deployments.items[0]?.metadata?.generation).toBe(2);
    const sets = await apps.listNamespacedReplicaSet({ namespace });
    expect(sets.items.map((rs) => rs.spec?.template?.spec?.containers[0]?.image).sort()).toEqual(
      [v1.image, v2.image].sort(),
    );
    expect((await core.listNamespacedService({ namespace })).items).toHaveLength(1);
    const ingresses = await kc.makeApiClient(NetworkingV1Api).listNamespacedIngress({ namespace });
    expect(ingresses.items).toHaveLength(1);
    expect(second.inform.filter((m) => m.deploymentId === v2.deploymentId).map((m) => m.state)).toEqual([
      "live",
    ]);
  });
});
