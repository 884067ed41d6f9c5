import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { CoreV1Api, KubeConfig, KubernetesObjectApi, NetworkingV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCTOR_EXIT, doctorCommand, runDoctor } from "./doctor.ts";
import { checkMetricsApi } from "./doctor-metrics-api.ts";

// `kli8nt doctor` against the test API server of scripts/infra/kubernetes.sh, which has no ingress
// controller, no cert-manager and no registry: the messages must say exactly that.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 1));
    });
  });
}

describe.skipIf(!kubeconfigPath)("kli8nt doctor", () => {
  const kc = new KubeConfig();
  const suffix = randomBytes(3).toString("hex");
  const ingressClass = `doctor-${suffix}`;
  const saNamespace = `doctor-${suffix}`;
  let registry: string;

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    registry = `127.0.0.1:${await closedPort()}`;
  });

  afterAll(async () => {
    await kc
      .makeApiClient(NetworkingV1Api)
      .deleteIngressClass({ name: ingressClass })
      .catch(() => undefined);
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: saNamespace })
      .catch(() => undefined);
  });

  it("says what a bare cluster is missing, one line per check, and exits 1", async () => {
    const out: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => out.push(s) },
    };
    const code = await doctorCommand(
      [
        "--kubeconfig",
        kubeconfigPath ?? "",
        "--registry",
        registry,
        "--build-namespace",
        `nope-${suffix}`,
        "--ingress-class",
        `nope-${suffix}`,
        "--issuer",
        `nope-${suffix}`,
      ],
      io,
    );
    const text = out.join("");
    expect(code).toBe(DOCTOR_EXIT.missing);
    expect(text).toMatch(/^ok {5} api-server {7}Kubernetes v1\.\d+\.\d+ at https:\/\/127\.0\.0\.1:\d+$/m);
    expect(text).toContain(
      `MISSING ingress-class    IngressClass "nope-${suffix}" is missing: install ingress-nginx (it creates the "nginx" class) or pass --ingress-class <name> of the controller you run`,
    );
    // npm test installs cert-manager's CRDs (scripts/infra/certs.sh); alone, the kubernetes service has none.
    const certManager = text.split("\n").find((line) => line.startsWith("MISSING cert-manager"));
    expect([
      `MISSING cert-manager     cert-manager is not installed (missing CRDs: certificates.cert-manager.io, issuers.cert-manager.io, clusterissuers.cert-manager.io): install cert-manager, then create the ClusterIssuer "nope-${suffix}"`,
      `MISSING cert-manager     cert-manager is installed but the ClusterIssuer "nope-${suffix}" is missing: create it (e.g. an ACME issuer)`,
    ]).toContain(certManager);
    expect(text).toContain("ok      rbac             Allowed everything the controllers do");
    expect(text).toContain(
      `MISSING build-namespace  Build namespace "nope-${suffix}" is missing: install the Helm chart (builds.createNamespace) or create it`,
    );
    expect(text).toContain(
      `MISSING registry         Registry ${registry} is not reachable at https://${registry}/v2/: connect ECONNREFUSED`,
    );
    // The test cluster runs no metrics-server: said, with what to install, and not counted as a failure.
    expect(text).toContain(
      "absent  metrics-api      The metrics API is absent (no APIService v1beta1.metrics.k8s.io): autoscaling and pod CPU/memory are off; install metrics-server",
    );
    // No CloudNativePG here: add-ons fall back to StatefulSets, said and not a failure. (The add-on suite on the
    // real node installs a stand-in CNPG CRD for a moment, so "installed" may be seen while it runs.)
    expect(text).toMatch(
      /absent {2}cnpg +CloudNativePG is absent \(no CRD clusters\.postgresql\.cnpg\.io\): Postgres add-ons run as a StatefulSet each|cnpg +CloudNativePG is installed/,
    );
    expect(text).toContain("4 check(s) failed.");
  });

  it("finds the metrics API once its APIService is registered", async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    // A stub with no server behind it: the aggregator serves it locally, which is enough to be present.
    const stub = {
      apiVersion: "apiregistration.k8s.io/v1",
      kind: "APIService",
      metadata: { name: "v1beta1.metrics.k8s.io" },
      spec: { group: "metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100 },
    };
    await objects.create(stub);
    try {
      const result = await eventually(
        "the stub APIService available",
        async () => {
          const r = await checkMetricsApi(kc);
          return r.ok ? r : undefined;
        },
        15_000,
      );
      expect(result).toEqual({
        name: "metrics-api",
        ok: true,
        message: "The metrics API is present (APIService v1beta1.metrics.k8s.io, available)",
      });
    } finally {
      await objects.delete(stub);
    }
  });

  it("finds an IngressClass and an existing build namespace", async () => {
    await kc.makeApiClient(NetworkingV1Api).createIngressClass({
      body: { metadata: { name: ingressClass }, spec: { controller: "k8s.io/ingress-nginx" } },
    });
    const results = await runDoctor(kc, {
      ingressClass,
      issuer: { kind: "ClusterIssuer", name: "letsencrypt" },
      registry,
      buildNamespace: "default",
    });
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName["ingress-class"]).toEqual({
      name: "ingress-class",
      ok: true,
      message: `IngressClass "${ingressClass}" (k8s.io/ingress-nginx)`,
    });
    expect(byName["build-namespace"]?.ok).toBe(true);
  });

  it("lists every permission a user without RBAC lacks (SelfSubjectAccessReview)", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: saNamespace } } });
    await core.createNamespacedServiceAccount({
      namespace: saNamespace,
      body: { metadata: { name: "nobody" } },
    });
    const token = await core.createNamespacedServiceAccountToken({
      name: "nobody",
      namespace: saNamespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const cluster = kc.getCurrentCluster();
    const limited = new KubeConfig();
    limited.loadFromOptions({
      clusters: [{ name: "test", server: cluster?.server ?? "", caData: cluster?.caData }],
      users: [{ name: "nobody", token: token.status?.token }],
      contexts: [{ name: "test", cluster: "test", user: "nobody" }],
      currentContext: "test",
    });
    const results = await runDoctor(limited, {
      ingressClass: "nginx",
      issuer: { kind: "ClusterIssuer", name: "letsencrypt" },
      registry,
      buildNamespace: "kli8nt-builds",
    });
    const rbac = results.find((r) => r.name === "rbac");
    expect(rbac).toEqual({
      name: "rbac",
      ok: false,
      message:
        "Not allowed to: create namespaces; patch apps/deployments; patch networking.k8s.io/ingresses; create batch/jobs in kli8nt-builds; create secrets in kli8nt-builds; watch pods; get pods/log. Run as a cluster admin, or bind the roles of deploy/helm/kli8nt",
    });
    // Reading IngressClasses is forbidden too: reported as a failed check, not a crash.
    expect(results.find((r) => r.name === "ingress-class")?.message).toMatch(
      /^Could not check ingress-class: /,
    );
  });
});
