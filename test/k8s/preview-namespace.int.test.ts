import type { App } from "@kli8nt/core";
import {
  createApp,
  type Database,
  deleteApp,
  ensureAdminUser,
  openTestDatabase,
  type PreviewRecord,
  upsertPreview,
} from "@kli8nt/db";
import { KubernetesDeployer, makeKubeApi } from "@kli8nt/deploy-controller/kubernetes";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installDeployControllerAccess, outcome } from "./controller-access.ts";
import { imageNamed } from "./deploy-controller-cluster.ts";
import { Harness, type Instance } from "./deploy-controller-harness.ts";

// A pull request preview on Kubernetes (ADR 0200, 0202): its own app row, so its own namespace, with the
// labels the controllers' admission policy (ADR 0141) looks for, deleted when the preview is torn down.
// The real API server, controller-manager and kwok of scripts/infra/kubernetes.sh.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

describe.skipIf(!kubeconfigPath)("pull request previews on Kubernetes", () => {
  const kc = new KubeConfig();
  let database: Database;
  let h: Harness;
  let instance: Instance;
  const core = () => kc.makeApiClient(CoreV1Api);
  const apps = () => kc.makeApiClient(AppsV1Api);
  const namespaceOf = (name: string) => instance.controller.deployer.namespaceOf(name);

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    database = await openTestDatabase("pglite");
    h = new Harness(kc, database);
    instance = await h.start();
  });

  afterAll(async () => {
    await h?.close();
    await database?.close();
  });

  const openPreview = async (parent: App, prNumber: number): Promise<PreviewRecord> =>
    (
      await upsertPreview(database.db, parent, {
        prNumber,
        title: "Faster pages",
        prUrl: `https://github.test/alice/shop/pull/${prNumber}`,
        headRepo: "alice/shop",
        cloneUrl: parent.repository.url,
        headRef: "faster",
        headSha: "a".repeat(40),
        fork: false,
      })
    ).preview;

  const namespaceStatus = (name: string) =>
    core()
      .readNamespace({ name })
      .then(
        () => 200,
        (error: { code?: number }) => error.code,
      );

  /** Tears the preview down as the api does (its app row deleted), then the controller's resync. */
  async function closePreview(preview: PreviewRecord): Promise<void> {
    const admin = await ensureAdminUser(database.db);
    await deleteApp(database.db, admin.id, preview.app.name);
    expect((await instance.controller.resync()).deleted).toContain(preview.app.name);
    const gone = await eventually(
      "namespace deleted",
      () => namespaceStatus(namespaceOf(preview.app.name)).then((s) => (s === 404 ? s : undefined)),
      90_000,
    );
    expect(gone).toBe(404);
  }

  it("runs a preview in its own labelled namespace beside its app's, and deletes only that on close", async () => {
    const parent = await h.newApp();
    const preview = await openPreview(parent, 7);
    expect(preview.app.name).toBe(`${parent.name}-pr-7`);
    const prod = await h.queueDeploy(parent, imageNamed("shop-v1"));
    const pr = await h.queueDeploy(preview.app, imageNamed("shop-pr-7"));
    expect((await h.settledInform(instance, prod.deploymentId)).state).toBe("live");
    expect(await h.settledInform(instance, pr.deploymentId)).toMatchObject({
      state: "live",
      url: `https://${parent.name}-pr-7.apps.test.invalid`,
    });

    const ns = namespaceOf(preview.app.name);
    expect(ns).toBe(`${h.prefix}${parent.name}-pr-7`);
    const labels = (await core().readNamespace({ name: ns })).metadata?.labels ?? {};
    expect(labels).toMatchObject({ "kli8nt.io/managed": "true", "kli8nt.io/app": preview.app.name });
    const previewDeployment = await apps().readNamespacedDeployment({
      name: preview.app.name,
      namespace: ns,
    });
    expect(previewDeployment.spec?.template.spec?.containers[0]?.image).toBe(pr.image);
    // The app's namespace holds only the app's release (2 pods); the preview's only its own (one web pod, no formation).
    expect(await h.runningImages(namespaceOf(parent.name))).toEqual([prod.image, prod.image]);
    expect(await h.runningImages(ns)).toEqual([pr.image]);

    await closePreview(preview);
    expect(await namespaceStatus(namespaceOf(parent.name))).toBe(200);
    expect(await h.runningImages(namespaceOf(parent.name))).toEqual([prod.image, prod.image]);
  }, 180_000);

  it("gives a preview of a long app name a namespace within 63 characters, admitted by prefix and label", async () => {
    const admin = await ensureAdminUser(database.db);
    const parent = await createApp(database.db, admin.id, {
      name: `long-${"x".repeat(30)}-${Date.now().toString(36).slice(-4)}`,
      repository: { url: "https://example.com/r.git", branch: "main", rootDir: "." },
      port: null,
    });
    const preview = await openPreview(parent, 1234567890);
    const ns = namespaceOf(preview.app.name);
    expect(`${h.prefix}${preview.app.name}`.length).toBeGreaterThan(63);
    expect(ns.length).toBeLessThanOrEqual(63);
    expect(ns.startsWith(h.prefix)).toBe(true);
    const pr = await h.queueDeploy(preview.app, imageNamed("long-pr"));
    expect((await h.settledInform(instance, pr.deploymentId)).state).toBe("live");
    expect(await h.runningImages(ns)).toEqual([pr.image]);
    const labels = (await core().readNamespace({ name: ns })).metadata?.labels ?? {};
    expect(labels["kli8nt.io/managed"]).toBe("true");
    await closePreview(preview);
  }, 180_000);

  it("as the deploy controller's own account, under the admission policy, applies and removes such a preview", async () => {
    const access = await installDeployControllerAccess(kc);
    try {
      // The policy enforced first: a grant in kube-system, which RBAC alone allows, is refused by it.
      const asController = KubernetesObjectApi.makeApiClient(access.asController);
      const grant = {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "probe", namespace: "kube-system" },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: `${access.controller.name}-app`,
        },
        subjects: [
          { kind: "ServiceAccount", name: access.controller.name, namespace: access.controller.namespace },
        ],
      };
      await eventually("admission policy enforced", async () => {
        const probe = await outcome(() => asController.create(grant, undefined, "All"));
        return probe.status === 403 && probe.text.includes("deploy controller writes only")
          ? true
          : undefined;
      });
      const deployer = new KubernetesDeployer(makeKubeApi(access.asController), {
        settings: access.settings,
      });
      const app = { id: "app_prv", name: `${"p".repeat(40)}-pr-1234567890` };
      const namespace = deployer.namespaceOf(app.name);
      expect(namespace.length).toBeLessThanOrEqual(63);
      const applied = await eventually("applied under the policy", () =>
        deployer
          .apply({
            app,
            release: { deploymentId: "dep_prv_1", image: imageNamed("prv"), port: 3000 },
            env: {},
          })
          .catch((error: unknown) => (String(error).includes("403") ? undefined : Promise.reject(error))),
      );
      expect(applied.deployment.metadata?.namespace).toBe(namespace);
      const labels = (await core().readNamespace({ name: namespace })).metadata?.labels ?? {};
      expect(labels["kli8nt.io/managed"]).toBe("true");
      await expect(deployer.remove(app.name)).resolves.toBe(true);
    } finally {
      await access.remove();
    }
  }, 180_000);
});
