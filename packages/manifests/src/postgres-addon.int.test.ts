import { randomBytes } from "node:crypto";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  NetworkingV1Api,
  PatchStrategy,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresAddonNames, renderPostgresAddon } from "./postgres-addon.ts";
import { renderApp } from "./render-app.ts";
import { resolveSettings } from "./settings.ts";

// The PostgreSQL add-on's objects (issue 25, ADR 0225) against the real kube-apiserver and controllers of
// scripts/infra/kubernetes.sh, in a real app namespace (Pod Security restricted, quota): accepted and stored
// as rendered, and the StatefulSet controller makes its claim and pod. The test cluster has no storage
// provisioner, so the claim stays Pending and no pod runs: running it is for a real node.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

describe.skipIf(!kubeconfigPath)("the PostgreSQL add-on's objects on a real API server", () => {
  const kc = new KubeConfig();
  const suffix = randomBytes(4).toString("hex");
  const app = { id: `app_${suffix}`, name: `pg-${suffix}` };
  const manifests = renderApp(
    app,
    { deploymentId: `dep_${suffix}`, image: `registry.test.invalid/a@sha256:${"b".repeat(64)}`, port: 3000 },
    resolveSettings({ appsDomain: "apps.test.invalid" }),
  );
  const namespace = manifests.names.namespace;
  const names = postgresAddonNames(app.name);

  beforeAll(() => kc.loadFromFile(kubeconfigPath ?? ""));
  afterAll(async () => {
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
  });

  it("accepts the Secret, Service, StatefulSet and NetworkPolicy, and the StatefulSet makes its claim and pod", async () => {
    const addon = renderPostgresAddon({
      appName: app.name,
      namespace,
      database: "app",
      user: "app",
      password: randomBytes(16).toString("hex"),
      image: "docker.io/library/postgres:16",
      storage: "1Gi",
    });
    const client = KubernetesObjectApi.makeApiClient(kc);
    const objects: KubernetesObject[] = [
      manifests.namespace,
      manifests.resourceQuota,
      manifests.limitRange,
      manifests.networkPolicy,
      addon.secret,
      addon.service,
      addon.networkPolicy,
      addon.statefulSet,
    ];
    for (const o of objects) {
      await client.patch(o, undefined, undefined, "kli8nt-addons-test", true, PatchStrategy.ServerSideApply);
    }
    const stored = await kc
      .makeApiClient(AppsV1Api)
      .readNamespacedStatefulSet({ name: names.workload, namespace });
    expect(stored.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests).toEqual({ storage: "1Gi" });
    const policy = await kc
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: names.networkPolicy, namespace });
    expect(JSON.parse(JSON.stringify(policy.spec?.ingress?.[0]?._from))).toEqual([
      { podSelector: { matchLabels: { "kli8nt.io/app": app.name } } },
      { podSelector: { matchLabels: { "kli8nt.io/addon-job": names.workload } } },
    ]);
    const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: names.secret, namespace });
    expect(Object.keys(secret.data ?? {}).sort()).toEqual([
      "DATABASE_URL",
      "PGDATABASE",
      "PGHOST",
      "PGPASSWORD",
      "PGPORT",
      "PGUSER",
    ]);

    const core = kc.makeApiClient(CoreV1Api);
    await eventually("the StatefulSet's claim", async () => {
      const claims = await core.listNamespacedPersistentVolumeClaim({ namespace });
      return claims.items.find((c) => c.metadata?.name === `data-${names.workload}-0`);
    });
    // Pod Security restricted admitted the pod the StatefulSet controller made.
    await eventually("the StatefulSet's pod", async () => {
      const pods = await core.listNamespacedPod({ namespace });
      return pods.items.find((p) => p.metadata?.name === `${names.workload}-0`);
    });
  }, 90_000);
});
