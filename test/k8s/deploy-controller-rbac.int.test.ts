import { randomBytes } from "node:crypto";
import { createDomain, type Database, listDomains, openTestDatabase, schema } from "@kli8nt/db";
import { customDomainName, renderDeployControllerRbac } from "@kli8nt/manifests";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureAcmeCrds, ensureCertificateCrd, writeFailingChallenge } from "./cert-manager-crds.ts";
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
    // A custom domain (ADR 0223): the resync's cluster-wide lists and the Ingress and Certificate it
    // applies in the app namespace are within the same rules.
    await ensureCertificateCrd(admin);
    const hostname = `www.rbac-${suffix}.example.com`;
    await createDomain(database.db, app.id, hostname, false);
    expect(await instance.controller.resync()).toMatchObject({ errors: [] });
    const name = customDomainName(app, hostname);
    const namespace = h.namespaceOf(app);
    const ingress = await admin.makeApiClient(NetworkingV1Api).readNamespacedIngress({ name, namespace });
    expect(ingress.spec?.rules?.[0]?.host).toBe(hostname);
    await admin.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: "cert-manager.io",
      version: "v1",
      namespace,
      plural: "certificates",
      name,
    });
    // A pending domain's reason (ADR 0224): the cluster-wide Order and Challenge lists are within its rules.
    await ensureAcmeCrds(admin);
    const reason = `failed to perform self check GET request: lookup ${hostname}: no such host`;
    await writeFailingChallenge(admin, {
      namespace,
      certificate: name,
      host: hostname,
      revision: "1",
      reason,
    });
    expect(await instance.controller.resync()).toMatchObject({ errors: [] });
    expect(await listDomains(database.db, app.id)).toMatchObject([{ status: "pending", detail: reason }]);
    await database.db.delete(schema.apps);
    const report = await instance.controller.resync();
    expect(report).toMatchObject({ deleted: [app.name], errors: [] });
  }, 120_000);
});
