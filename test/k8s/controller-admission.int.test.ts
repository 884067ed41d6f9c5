import { randomBytes } from "node:crypto";
import { KubernetesDeployer, makeKubeApi } from "@kli8nt/deploy-controller/kubernetes";
import { LABEL_MANAGED_NAMESPACE } from "@kli8nt/manifests";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installDeployControllerAccess, outcome } from "./controller-access.ts";
import { imageNamed } from "./deploy-controller-cluster.ts";

// Issue 19: the deploy controller with its own ServiceAccount (RBAC of packages/manifests + the
// controllers' ValidatingAdmissionPolicy, docs/adr/0141) can run an app in a namespace it created, and
// can neither write nor read Secrets anywhere else: kube-system refuses it.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

describe.skipIf(!kubeconfigPath)("deploy controller confined to the namespaces Kli8nt created", () => {
  const admin = new KubeConfig();
  let access: Awaited<ReturnType<typeof installDeployControllerAccess>>;
  let asController: KubernetesObjectApi;

  /** A dry-run create as the controller: admission (and RBAC) run, nothing is stored. */
  const tryCreate = (object: KubernetesObject) =>
    outcome(() => asController.create(object, undefined, "All"));
  const bindingIn = (namespace: string, subject = access.controller.name, role = `${subject}-app`) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: `probe-${randomBytes(2).toString("hex")}`, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: [{ kind: "ServiceAccount", name: subject, namespace: access.controller.namespace }],
  });

  beforeAll(async () => {
    admin.loadFromFile(kubeconfigPath ?? "");
    access = await installDeployControllerAccess(admin);
    asController = KubernetesObjectApi.makeApiClient(access.asController);
    // RBAC allows a RoleBinding anywhere; the policy does not. Wait until the API server enforces it.
    await eventually("admission policy enforced", async () => {
      const probe = await tryCreate(bindingIn("kube-system"));
      return probe.status === 403 && probe.text.includes("deploy controller writes only") ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    await access?.remove();
  });

  it("applies an app into a namespace it creates and labels, and its pods run", async () => {
    const deployer = new KubernetesDeployer(makeKubeApi(access.asController), { settings: access.settings });
    const app = { id: "app_adm", name: `adm-${randomBytes(3).toString("hex")}` };
    const release = { deploymentId: "dep_adm_1", image: imageNamed("hello-adm"), port: 3000 };
    const applied = await deployer.apply({ app, release, env: { GREETING: "hi" } });
    const namespace = deployer.namespaceOf(app.name);
    expect(applied.deployment.metadata?.namespace).toBe(namespace);
    const core = admin.makeApiClient(CoreV1Api);
    const stored = await core.readNamespace({ name: namespace });
    expect(stored.metadata?.labels?.[LABEL_MANAGED_NAMESPACE]).toBe("true");
    const grant = await admin
      .makeApiClient(RbacAuthorizationV1Api)
      .readNamespacedRoleBinding({ name: access.controller.name, namespace });
    expect(grant.roleRef.name).toBe(`${access.controller.name}-app`);
    const apps = admin.makeApiClient(AppsV1Api);
    await eventually("Deployment available", async () => {
      const d = await apps.readNamespacedDeployment({ name: app.name, namespace });
      return (d.status?.availableReplicas ?? 0) >= 1 ? d : undefined;
    });
    const policies = await admin.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace });
    expect(policies.items.map((p) => p.metadata?.name).sort()).toEqual([
      "kli8nt-default-deny",
      "kli8nt-default-egress",
    ]);
    // And it can take the app down again.
    await expect(deployer.remove(app.name)).resolves.toBe(true);
  }, 120_000);

  it("is refused in kube-system: no Deployment, no Secret read, no grant of its own, no label", async () => {
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "evil", namespace: "kube-system" },
      spec: {
        selector: { matchLabels: { app: "evil" } },
        template: {
          metadata: { labels: { app: "evil" } },
          spec: { containers: [{ name: "c", image: imageNamed("evil") }] },
        },
      },
    };
    expect((await tryCreate(deployment)).status).toBe(403);
    const core = access.asController.makeApiClient(CoreV1Api);
    expect((await outcome(() => core.listNamespacedSecret({ namespace: "kube-system" }))).status).toBe(403);
    expect((await outcome(() => core.listSecretForAllNamespaces())).status).toBe(403);
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "x", namespace: "kube-system" } };
    expect((await tryCreate(secret)).status).toBe(403);
    // What RBAC allows cluster-wide, the admission policy confines to namespaces Kli8nt created.
    const grant = await tryCreate(bindingIn("kube-system"));
    expect(grant).toMatchObject({
      status: 403,
      text: expect.stringContaining("deploy controller writes only"),
    });
    const label = await outcome(() =>
      core.patchNamespace({
        name: "kube-system",
        body: [{ op: "add", path: `/metadata/labels/kli8nt.io~1managed`, value: "true" }],
      }),
    );
    expect(label.status).toBe(403);
    const foreign = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: `other-${randomBytes(3).toString("hex")}` },
    };
    expect((await tryCreate(foreign)).status).toBe(403);
    const unlabelled = { apiVersion: "v1", kind: "Namespace", metadata: { name: `${access.prefix}bare` } };
    expect((await tryCreate(unlabelled)).status).toBe(403);
    const labelled = {
      ...unlabelled,
      metadata: { ...unlabelled.metadata, labels: { [LABEL_MANAGED_NAMESPACE]: "true" } },
    };
    expect((await tryCreate(labelled)).status).toBe("ok");
  }, 60_000);

  it("grants only its own app role, to itself, inside an app namespace", async () => {
    const deployer = new KubernetesDeployer(makeKubeApi(access.asController), { settings: access.settings });
    const app = { id: "app_adm2", name: `adm-${randomBytes(3).toString("hex")}` };
    await deployer.apply({
      app,
      release: { deploymentId: "dep_adm_2", image: imageNamed("hello-adm"), port: 3000 },
      env: {},
    });
    const namespace = deployer.namespaceOf(app.name);
    expect((await tryCreate(bindingIn(namespace))).status).toBe("ok");
    const toDefault = await tryCreate(bindingIn(namespace, "default", `${access.controller.name}-app`));
    expect(toDefault).toMatchObject({ status: 403, text: expect.stringContaining("only bind") });
    expect((await tryCreate(bindingIn(namespace, access.controller.name, "cluster-admin"))).status).toBe(403);
  }, 60_000);
});
