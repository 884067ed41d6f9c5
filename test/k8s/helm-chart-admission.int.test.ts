import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { CoreV1Api, KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outcome } from "./controller-access.ts";

// The chart's own RBAC and ValidatingAdmissionPolicy, installed with helm on the test cluster, acting
// with each controller's own ServiceAccount token (issue 19, docs/adr/0141).
const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

describe.skipIf(!kubeconfigPath)("Helm chart: controllers confined by the chart's RBAC and policy", () => {
  const suffix = randomBytes(3).toString("hex");
  const release = `adm-${suffix}`;
  const namespace = `kli8nt-adm-${suffix}`;
  const builds = `kli8nt-admbuilds-${suffix}`;
  const prefix = `kadmc${suffix}-`;
  const admin = new KubeConfig();
  let helm: string;
  const as: Record<string, KubernetesObjectApi> = {};

  const helmIn = (command: string, ...more: string[]) =>
    run(helm, [command, release, ...more, "--namespace", namespace, "--kubeconfig", kubeconfigPath ?? ""]);

  beforeAll(async () => {
    admin.loadFromFile(kubeconfigPath ?? "");
    helm = (await run("bash", [join(root, "test/k8s/helm-binary.sh")], { timeout: 1_500_000 })).stdout.trim();
    await helmIn(
      "install",
      join(root, "deploy/helm/kli8nt"),
      "--create-namespace",
      ...[
        `builds.kanikoImage=ghcr.io/osscontainertools/kaniko@sha256:${"1f".repeat(32)}`,
        `builds.namespace=${builds}`,
        `apps.namespacePrefix=${prefix}`,
        "github.clientId=Iv1.test",
        "github.clientSecret=test-secret",
        "github.webhookSecret=test-webhook-0123456789",
        "postgresql.url=postgres://kli8nt:pw@db:5432/kli8nt",
        "rabbitmq.url=amqp://kli8nt:pw@mq:5672/%2F",
        "kafka.brokers=kafka-0:9092",
        // No controller pods: only their accounts, rights and the policy matter here.
        "buildController.replicas=0",
        "deployController.replicas=0",
        "logController.replicas=0",
        "api.replicas=0",
      ].flatMap((v) => ["--set", v]),
    );
    const core = admin.makeApiClient(CoreV1Api);
    const cluster = admin.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no cluster");
    for (const component of ["deploy-controller", "build-controller", "log-controller"]) {
      const token = await eventually(`${component} token`, () =>
        core
          .createNamespacedServiceAccountToken({
            name: `${release}-${component}`,
            namespace,
            body: { spec: { audiences: [], expirationSeconds: 600 } },
          })
          .then((r) => r.status?.token),
      );
      const kc = new KubeConfig();
      kc.loadFromClusterAndUser(cluster, { name: component, token });
      as[component] = KubernetesObjectApi.makeApiClient(kc);
    }
  }, 1_600_000);

  afterAll(async () => {
    await helmIn("uninstall").catch(() => undefined);
    const core = admin.makeApiClient(CoreV1Api);
    for (const name of [namespace, builds]) await core.deleteNamespace({ name }).catch(() => undefined);
  });

  /** A dry-run create as `component`: RBAC and admission run, nothing is stored. */
  const tryCreate = (component: string, object: object) =>
    outcome(() => (as[component] as KubernetesObjectApi).create(object, undefined, "All"));
  const appNamespace = (labels: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: `${prefix}shop`, labels },
  });
  const selfGrant = (ns: string) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "grab", namespace: ns },
    roleRef: {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: `${release}-deploy-controller-app`,
    },
    subjects: [{ kind: "ServiceAccount", name: `${release}-deploy-controller`, namespace }],
  });

  it("the deploy controller creates a labelled app namespace, and nothing in kube-system", async () => {
    await eventually("policy enforced", async () => {
      const probe = await tryCreate("deploy-controller", selfGrant("kube-system"));
      return probe.status === 403 && probe.text.includes("deploy controller writes only") ? true : undefined;
    });
    expect((await tryCreate("deploy-controller", appNamespace({ "kli8nt.io/managed": "true" }))).status).toBe(
      "ok",
    );
    expect((await tryCreate("deploy-controller", appNamespace({}))).status).toBe(403);
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "x", namespace: "kube-system" } };
    expect((await tryCreate("deploy-controller", secret)).status).toBe(403);
  }, 60_000);

  it("the build controller writes in the build namespace only; the log controller writes nothing", async () => {
    const secretIn = (ns: string) => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "build-x-git", namespace: ns },
    });
    expect((await tryCreate("build-controller", secretIn(builds))).status).toBe("ok");
    expect((await tryCreate("build-controller", secretIn("kube-system"))).status).toBe(403);
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "x", namespace } };
    expect((await tryCreate("log-controller", secret)).status).toBe(403);
    const secrets = await outcome(() => (as["log-controller"] as KubernetesObjectApi).list("v1", "Secret"));
    expect(secrets.status).toBe(403);
  }, 60_000);
});
