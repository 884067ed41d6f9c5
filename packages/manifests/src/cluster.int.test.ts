import { randomBytes } from "node:crypto";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import { renderDeployControllerRbac } from "./rbac.ts";
import { applyOrder, renderApp } from "./render-app.ts";
import { resolveSettings } from "./settings.ts";

// Against the real kube-apiserver + controllers + kwok of scripts/infra/kubernetes.sh: the rendered
// objects must be accepted as they are (validation, Pod Security `restricted`, quota) and converge.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

const FIELD_MANAGER = "kli8nt-manifests-test";
const settings = resolveSettings({ appsDomain: "apps.test.invalid" });

function sampleApp(): { app: ManifestApp; release: ManifestRelease } {
  const suffix = randomBytes(4).toString("hex");
  return {
    app: { id: `app_${suffix}`, name: `it-${suffix}` },
    release: {
      deploymentId: `dep_${suffix}`,
      image: `registry.test.invalid/apps/hello@sha256:${randomBytes(32).toString("hex")}`,
      port: 3000,
      healthCheck: { path: "/healthz" },
      replicas: 2,
    },
  };
}

async function applyAll(kc: KubeConfig, objects: readonly KubernetesObject[]): Promise<KubernetesObject[]> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const applied: KubernetesObject[] = [];
  for (const object of objects) {
    applied.push(
      await client.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
    );
  }
  return applied;
}

function appliedAt(object: KubernetesObject): string | undefined {
  const entry = object.metadata?.managedFields?.find(
    (f) => f.manager === FIELD_MANAGER && f.operation === "Apply",
  );
  return entry?.time === undefined ? undefined : String(entry.time);
}

function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

describe.skipIf(!kubeconfigPath)("manifests against a real API server", () => {
  const kc = new KubeConfig();
  const created: string[] = [];

  beforeAll(() => {
    kc.loadFromFile(kubeconfigPath ?? "");
  });

  afterAll(async () => {
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of created) await core.deleteNamespace({ name }).catch(() => undefined);
  });

  it("applies every object, and the Deployment becomes Available with kwok pods Running", async () => {
    const { app, release } = sampleApp();
    const manifests = renderApp(app, release, settings);
    created.push(manifests.names.namespace);
    await applyAll(kc, applyOrder(manifests));

    const apps = kc.makeApiClient(AppsV1Api);
    const deployment = await eventually("Deployment Available", async () => {
      const d = await apps.readNamespacedDeployment({ name: app.name, namespace: manifests.names.namespace });
      const available = d.status?.conditions?.find((c) => c.type === "Available")?.status === "True";
      return available && d.status?.availableReplicas === 2 ? d : undefined;
    });
    expect(deployment.status?.updatedReplicas).toBe(2);

    const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({
      namespace: manifests.names.namespace,
      labelSelector: `kli8nt.io/app=${app.name},kli8nt.io/deployment=${release.deploymentId}`,
    });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe("Running");
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-/);
      expect(pod.spec?.containers[0]?.image).toBe(release.image);
    }
  }, 90_000);

  it("re-applying the same objects changes nothing (deterministic rendering + server-side apply)", async () => {
    const { app, release } = sampleApp();
    const manifests = renderApp(app, release, settings);
    created.push(manifests.names.namespace);
    const first = await applyAll(kc, applyOrder(manifests));
    // Controllers keep writing status (quota usage, rollout), so resourceVersion is no witness; the
    // time our field manager last changed each object, and the Deployment's generation, are.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const again = await applyAll(kc, applyOrder(renderApp(app, release, settings)));
    expect(again.map(appliedAt)).toEqual(first.map(appliedAt));
    expect(again.find((o) => o.kind === "Deployment")?.metadata?.generation).toBe(1);
  }, 90_000);

  it("enforces Pod Security restricted in the app namespace: a pod without the securityContext is refused", async () => {
    const { app, release } = sampleApp();
    const manifests = renderApp(app, release, settings);
    created.push(manifests.names.namespace);
    await applyAll(kc, [manifests.namespace]);
    const rejected = await kc
      .makeApiClient(CoreV1Api)
      .createNamespacedPod({
        namespace: manifests.names.namespace,
        body: { metadata: { name: "plain" }, spec: { containers: [{ name: "c", image: release.image }] } },
      })
      .then(
        () => undefined,
        (error: unknown) =>
          error instanceof ApiException ? { code: error.code, body: String(error.body) } : error,
      );
    expect(rejected).toMatchObject({ code: 403, body: expect.stringContaining("violates PodSecurity") });
  }, 90_000);

  it("the deploy controller's RBAC is enough to apply an app, and no more", async () => {
    const rbac = renderDeployControllerRbac({
      namespace: "kli8nt-system-test",
      name: "kli8nt-deploy-controller",
    });
    created.push("kli8nt-system-test");
    await applyAll(kc, [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "kli8nt-system-test" } },
      ...rbac,
    ]);
    const core = kc.makeApiClient(CoreV1Api);
    const token = await eventually("ServiceAccount token", () =>
      core
        .createNamespacedServiceAccountToken({
          name: "kli8nt-deploy-controller",
          namespace: "kli8nt-system-test",
          body: { spec: { audiences: [], expirationSeconds: 600 } },
        })
        .then((r) => r.status?.token),
    );
    const asController = new KubeConfig();
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no cluster");
    asController.loadFromClusterAndUser(cluster, { name: "deploy-controller", token });

    const { app, release } = sampleApp();
    // Its ClusterRole writes nothing inside namespaces: the RoleBinding it applies there grants it the
    // app role (docs/adr/0141), which the API server's authorizer sees a moment later.
    const controller = { namespace: "kli8nt-system-test", name: "kli8nt-deploy-controller" };
    const manifests = renderApp(app, release, { ...settings, controller });
    created.push(manifests.names.namespace);
    const [namespace, binding, ...rest] = applyOrder(manifests);
    expect(binding?.kind).toBe("RoleBinding");
    await applyAll(asController, [namespace as KubernetesObject, binding as KubernetesObject]);
    await eventually("app role granted", () => applyAll(asController, rest).catch(() => undefined), 10_000);
    const forbiddenSecrets = await asController
      .makeApiClient(CoreV1Api)
      .listSecretForAllNamespaces()
      .then(() => undefined, statusOf);
    expect(forbiddenSecrets).toBe(403);
    const forbidden = await asController
      .makeApiClient(RbacAuthorizationV1Api)
      .listClusterRole()
      .then(() => undefined, statusOf);
    expect(forbidden).toBe(403);
  }, 90_000);

  it("stores the default egress policy: DNS and the internet, never link-local, the metadata address or private ranges", async () => {
    const { app, release } = sampleApp();
    const manifests = renderApp(app, release, settings);
    created.push(manifests.names.namespace);
    const applied = await applyAll(kc, applyOrder(manifests));
    const stored = await kc
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: "kli8nt-default-egress", namespace: manifests.names.namespace });
    expect(applied.some((o) => o.metadata?.name === "kli8nt-default-egress")).toBe(true);
    expect(stored.spec?.policyTypes).toEqual(["Egress"]);
    const peers = (stored.spec?.egress ?? []).flatMap((rule) => rule.to ?? []);
    const v4 = peers.find((p) => p.ipBlock?.cidr === "0.0.0.0/0")?.ipBlock;
    expect(v4?.except).toEqual(
      expect.arrayContaining(["169.254.0.0/16", "169.254.169.254/32", "10.0.0.0/8", "172.16.0.0/12"]),
    );
    expect(peers.find((p) => p.ipBlock?.cidr === "::/0")?.ipBlock?.except).toContain("fe80::/10");
    // The only other namespace reachable is the DNS one, and there only the DNS pods on port 53.
    const namespaces = peers.flatMap((p) => (p.namespaceSelector ? [p.namespaceSelector.matchLabels] : []));
    expect(namespaces).toEqual([{ "kubernetes.io/metadata.name": "kube-system" }]);
    const dns = stored.spec?.egress?.find((rule) => rule.to?.some((p) => p.namespaceSelector));
    expect(dns?.ports?.map((p) => `${p.protocol}/${p.port}`)).toEqual(["UDP/53", "TCP/53"]);
    expect(dns?.to?.[0]?.podSelector?.matchLabels).toEqual({ "k8s-app": "kube-dns" });
  }, 90_000);

  it("deleting the namespace removes the app and everything in it", async () => {
    const { app, release } = sampleApp();
    const manifests = renderApp(app, release, settings);
    await applyAll(kc, applyOrder(manifests));
    const core = kc.makeApiClient(CoreV1Api);
    await eventually("pods Running", async () => {
      const pods = await core.listNamespacedPod({ namespace: manifests.names.namespace });
      return pods.items.length === 2 && pods.items.every((p) => p.status?.phase === "Running")
        ? true
        : undefined;
    });
    await core.deleteNamespace({ name: manifests.names.namespace });
    const gone = await eventually("namespace deleted", () =>
      core.readNamespace({ name: manifests.names.namespace }).then(() => undefined, statusOf),
    );
    expect(gone).toBe(404);
  }, 90_000);
});
