import { randomBytes } from "node:crypto";
import { type Database, openTestDatabase, schema } from "@kli8nt/db";
import { renderDeployControllerRbac } from "@kli8nt/manifests";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageNamed } from "./deploy-controller-cluster.ts";
import { Harness } from "./deploy-controller-harness.ts";

// The controller running with nothing but the RBAC of packages/manifests (renderDeployControllerRbac):
// its lists, applies, rollout reads and deletes must all be allowed.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

describe.skipIf(!kubeconfigPath)("deploy controller with its own RBAC only", () => {
  const admin = new KubeConfig();
  const suffix = randomBytes(3).toString("hex");
  const rbac = { namespace: `kdc-rbac-${suffix}`, name: `kli8nt-deploy-controller-${suffix}` };
  let database: Database;
  let h: Harness;

  beforeAll(async () => {
    admin.loadFromFile(kubeconfigPath ?? "");
    const objects = KubernetesObjectApi.makeApiClient(admin);
    for (const o of [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: rbac.namespace } },
      ...renderDeployControllerRbac(rbac),
    ]) {
      await objects.patch(o, undefined, undefined, "kli8nt-test", true, PatchStrategy.ServerSideApply);
    }
    const core = admin.makeApiClient(CoreV1Api);
    const token = await eventually("ServiceAccount token", () =>
      core
        .createNamespacedServiceAccountToken({
          name: rbac.name,
          namespace: rbac.namespace,
          body: { spec: { audiences: [], expirationSeconds: 600 } },
        })
        .then((r) => r.status?.token),
    );
    const cluster = admin.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no cluster");
    const asController = new KubeConfig();
    asController.loadFromClusterAndUser(cluster, { name: "deploy-controller", token });
    database = await openTestDatabase("pglite");
    // Its ClusterRole writes nothing inside namespaces: it binds itself the app role in each app namespace.
    h = new Harness(asController, database, 10, { controller: rbac });
  });

  afterAll(async () => {
    await h?.close();
    const core = admin.makeApiClient(CoreV1Api);
    const rbacApi = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbacApi.deleteClusterRoleBinding({ name: rbac.name }).catch(() => undefined);
    await rbacApi.deleteClusterRole({ name: rbac.name }).catch(() => undefined);
    await rbacApi.deleteClusterRole({ name: `${rbac.name}-app` }).catch(() => undefined);
    await core.deleteNamespace({ name: rbac.namespace }).catch(() => undefined);
    await database?.close();
  });

  it("starts, deploys an app to live and deletes it", async () => {
    const instance = await h.start();
    const app = await h.newApp();
    const v1 = await h.queueDeploy(app, imageNamed("hello-rbac"));
    expect(await h.settledInform(instance, v1.deploymentId)).toMatchObject({ state: "live" });
    await database.db.delete(schema.apps);
    const report = await instance.controller.resync();
    expect(report).toMatchObject({ deleted: [app.name], errors: [] });
  }, 120_000);
});
