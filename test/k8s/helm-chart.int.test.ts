import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { failUnderCi } from "@kli8nt/testkit";
import {
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
  PatchStrategy,
  type V1Deployment,
  type V1NetworkPolicy,
  type V1Secret,
} from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../apps/api/src/config.ts";
import {
  loadKanikoJobConfig,
  loadKanikoProcessConfig,
} from "../../apps/build-controller/src/kaniko-job/config.ts";
import { loadKubernetesDeployControllerConfig } from "../../apps/deploy-controller/src/kubernetes/config.ts";
import { loadLogControllerConfig } from "../../apps/log-controller/src/config.ts";
import { DEPLOYABLES } from "../../scripts/bundle.ts";
import { describeChartIsolation } from "./helm-chart-isolation.ts";

// The Helm chart: `helm lint` and `helm template` with a helm built from its Go module
// (test/k8s/helm-binary.sh, cached), then every rendered object server-side applied with dry-run
// against the test API server, which validates it against the real schemas and admission.
const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const chart = join(root, "deploy/helm/kli8nt");
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

const suffix = randomBytes(3).toString("hex");
const releaseNamespace = `kli8nt-sys-${suffix}`;
const buildNamespace = `kli8nt-builds-${suffix}`;
const KANIKO = `ghcr.io/osscontainertools/kaniko@sha256:${"1f".repeat(32)}`;
const required = [
  `builds.kanikoImage=${KANIKO}`,
  `builds.namespace=${buildNamespace}`,
  "github.clientId=Iv1.test",
  "github.clientSecret=test-secret",
  "github.webhookSecret=test-webhook-0123456789",
  "postgresql.url=postgres://kli8nt:pw@db:5432/kli8nt",
  "rabbitmq.url=amqp://kli8nt:pw@mq:5672/%2F",
  "kafka.brokers=kafka-0:9092\\,kafka-1:9092",
  "registry.pushSecret=registry-push",
];
// Offline rendering assumes Kubernetes 1.20 unless told; the chart needs 1.29+.
const sets = (values: readonly string[]) => [
  "--kube-version",
  "1.36.0",
  ...values.flatMap((v) => ["--set", v]),
];

let helm: string;

async function render(values: readonly string[]): Promise<KubernetesObject[]> {
  const { stdout } = await run(helm, [
    "template",
    "rel",
    chart,
    "--namespace",
    releaseNamespace,
    ...sets(values),
  ]);
  return loadAllYaml(stdout).filter((o): o is KubernetesObject => Boolean(o?.kind));
}

/** Server-side applies each object with dryRun=All; returns the refusals (kind/name: reason). */
async function dryRunApply(
  client: KubernetesObjectApi,
  objects: readonly KubernetesObject[],
): Promise<string[]> {
  const refused: string[] = [];
  for (const object of objects) {
    const namespaced = ![
      "Namespace",
      "ClusterRole",
      "ClusterRoleBinding",
      "ValidatingAdmissionPolicy",
      "ValidatingAdmissionPolicyBinding",
    ].includes(object.kind ?? "");
    const metadata = { ...object.metadata, namespace: object.metadata?.namespace ?? releaseNamespace };
    try {
      await client.patch(
        namespaced ? { ...object, metadata } : object,
        undefined,
        "All",
        "kli8nt-helm-test",
        true,
        PatchStrategy.ServerSideApply,
      );
    } catch (error) {
      refused.push(
        `${object.kind}/${object.metadata?.name}: ${String((error as { body?: unknown }).body ?? error)}`,
      );
    }
  }
  return refused;
}

// Runs with the Kubernetes test infrastructure only (which also provides Go): building helm cold takes
// minutes, too long for a unit run.
describe.skipIf(!kubeconfigPath)("Helm chart deploy/helm/kli8nt", () => {
  let objects: KubernetesObject[];

  beforeAll(async () => {
    const built = await run("bash", [join(root, "test/k8s/helm-binary.sh")], { timeout: 1_500_000 });
    helm = built.stdout.trim();
    objects = await render(required);
  }, 1_600_000);

  it("passes helm lint --strict, and refuses to render without a required value, naming it", async () => {
    const lint = await run(helm, ["lint", chart, "--strict", ...sets(required)]);
    expect(lint.stdout).toContain("1 chart(s) linted, 0 chart(s) failed");
    // `helm lint` only warns on `required`; rendering is where an install would stop.
    const missing = await render(required.slice(1)).then(
      () => "rendered",
      (e: { stderr: string }) => e.stderr,
    );
    expect(missing).toContain(
      "builds.kanikoImage is required: the Kaniko executor pinned by digest (name@sha256:...)",
    );
    // values.schema.json refuses a tag where a digest is required.
    const tagged = await render([...required.slice(1), "builds.kanikoImage=kaniko:latest"]).then(
      () => "rendered",
      (e: { stderr: string }) => e.stderr,
    );
    expect(tagged).toContain("at '/builds/kanikoImage': 'kaniko:latest' does not match pattern");
  });

  it("renders the api and three controllers, each with its own ServiceAccount, hardened", () => {
    const deployments = objects.filter((o): o is V1Deployment => o.kind === "Deployment");
    expect(deployments.map((d) => d.metadata?.name).sort()).toEqual([
      "rel-api",
      "rel-build-controller",
      "rel-deploy-controller",
      "rel-log-controller",
    ]);
    const accounts = new Set(deployments.map((d) => d.spec?.template.spec?.serviceAccountName));
    expect(accounts.size).toBe(4);
    for (const d of deployments) {
      const container = d.spec?.template.spec?.containers[0];
      expect(container?.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      });
      expect(container?.image).toBe("ghcr.io/kli8nt/kli8nt:0.1.0");
    }
    const env = JSON.stringify(deployments.find((d) => d.metadata?.name === "rel-build-controller"));
    expect(env).toContain(KANIKO);
    expect(env).not.toContain("test-secret");
  });

  it("sets only variables each entry point reads, and its config loader accepts them", async () => {
    const rendered = await render([
      ...required,
      "tls.issuer.kind=Issuer",
      "tls.issuer.name=internal-ca",
      "builds.packageRegistries.npm=https://npm.corp.example/",
      "builds.packageRegistries.goproxy=https://go.corp.example\\,direct",
      "builds.caBundle.configMap=corp-ca",
    ]);
    const secrets = new Map(
      rendered.filter((o): o is V1Secret => o.kind === "Secret").map((s) => [s.metadata?.name, s.stringData]),
    );
    // Each component: the config files whose variables it reads, and the loaders its main.ts calls.
    const components: Record<string, { sources: string[]; load: (env: NodeJS.ProcessEnv) => unknown }> = {
      "rel-api": { sources: ["apps/api/src/config.ts"], load: loadConfig },
      "rel-build-controller": {
        sources: ["apps/build-controller/src/kaniko-job/config.ts"],
        load: (env) => [loadKanikoJobConfig(env), loadKanikoProcessConfig(env)],
      },
      "rel-deploy-controller": {
        sources: ["apps/deploy-controller/src/kubernetes/config.ts"],
        load: loadKubernetesDeployControllerConfig,
      },
      "rel-log-controller": {
        sources: ["apps/log-controller/src/config.ts", "packages/logstore/src/kafka/kafka-security.ts"],
        load: loadLogControllerConfig,
      },
    };
    const loaded: Record<string, unknown> = {};
    for (const d of rendered.filter((o): o is V1Deployment => o.kind === "Deployment")) {
      const name = d.metadata?.name ?? "";
      const component = components[name];
      const container = d.spec?.template.spec?.containers[0];
      expect(component, name).toBeDefined();
      // The image runs bundles (ADR 0115): /app/dist/<deployable>.mjs, bundled from that entry point.
      const bundled = /^\/app\/dist\/([a-z-]+)\.mjs$/.exec(container?.command?.at(-1) ?? "")?.[1] ?? "";
      const entry = DEPLOYABLES[bundled] ?? "";
      expect(container?.command, name).toEqual(["node", `/app/dist/${bundled}.mjs`]);
      expect(existsSync(join(root, entry)), `${name} runs the bundle of ${entry || "nothing"}`).toBe(true);
      const env = Object.fromEntries(
        (container?.env ?? []).map((e) => {
          const ref = e.valueFrom?.secretKeyRef;
          return [e.name, ref ? secrets.get(ref.name)?.[ref.key] : e.value];
        }),
      );
      const source = component?.sources.map((f) => readFileSync(join(root, f), "utf8")).join("\n") ?? "";
      expect(
        Object.keys(env).filter((key) => !source.includes(`${key}:`)),
        `${name} sets unread variables`,
      ).toEqual([]);
      loaded[name] = component?.load(env);
    }
    expect(loaded["rel-deploy-controller"]).toMatchObject({
      settings: {
        certificateIssuer: { kind: "Issuer", name: "internal-ca" },
        appsDomain: "example-apps.com",
      },
      databaseUrl: "postgres://kli8nt:pw@db:5432/kli8nt",
    });
    expect(loaded["rel-log-controller"]).toMatchObject({ kafkaBrokers: ["kafka-0:9092", "kafka-1:9092"] });
    expect(loaded["rel-build-controller"]).toMatchObject([
      {
        packageRegistries: {
          npmRegistry: "https://npm.corp.example/",
          goProxy: "https://go.corp.example,direct",
        },
        caConfigMap: { name: "corp-ca", key: "ca.crt" },
      },
      {},
    ]);
  });

  it("grants each controller only what it uses", () => {
    const role = objects.find((o) => o.kind === "Role") as KubernetesObject & { rules: unknown[] };
    expect(role.metadata?.namespace).toBe(buildNamespace);
    const logRole = objects.find(
      (o) => o.kind === "ClusterRole" && o.metadata?.name === "rel-log-controller",
    ) as (KubernetesObject & { rules: Array<{ resources: string[]; verbs: string[] }> }) | undefined;
    expect(logRole?.rules.flatMap((r) => r.verbs).every((v) => ["get", "list", "watch"].includes(v))).toBe(
      true,
    );
    expect(objects.some((o) => o.kind === "ClusterRole" && o.metadata?.name === "rel-build-controller")).toBe(
      false,
    );
  });

  it("keeps the build controller's internal port off the Ingress, open to the build controller only", () => {
    type Port = { name?: string; port?: number | string };
    const service = objects.find((o) => o.kind === "Service" && o.metadata?.name === "rel-api") as
      | (KubernetesObject & { spec: { ports: Port[] } })
      | undefined;
    expect(service?.spec.ports.map((p) => [p.name, p.port])).toEqual([
      ["http", 80],
      ["internal", 3001],
    ]);
    const ingress = objects.find((o) => o.kind === "Ingress") as KubernetesObject & {
      spec: { rules: Array<{ http: { paths: Array<{ backend: { service: { port: Port } } }> } }> };
    };
    const routed = ingress.spec.rules.flatMap((r) => r.http.paths.map((p) => p.backend.service.port.name));
    expect(routed).toEqual(["http"]);
    const deployments = objects.filter((o): o is V1Deployment => o.kind === "Deployment");
    const envOf = (name: string) =>
      deployments.find((d) => d.metadata?.name === name)?.spec?.template.spec?.containers[0]?.env ?? [];
    expect(envOf("rel-api").find((e) => e.name === "KLI8NT_INTERNAL_PORT")?.value).toBe("3001");
    expect(envOf("rel-build-controller").find((e) => e.name === "KLI8NT_API_URL")?.value).toBe(
      `http://rel-api.${releaseNamespace}.svc:3001`,
    );
    const policy = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata?.name === "rel-api") as
      | V1NetworkPolicy
      | undefined;
    const internal = policy?.spec?.ingress?.find((rule) => rule.ports?.some((p) => p.port === "internal"));
    // The client's model names `from` `_from`.
    expect(internal?._from?.map((f) => f.podSelector?.matchLabels)).toEqual([
      {
        "app.kubernetes.io/name": "kli8nt",
        "app.kubernetes.io/instance": "rel",
        "app.kubernetes.io/component": "build-controller",
      },
    ]);
  });

  describeChartIsolation({
    render: (values) => render([...required, ...values]),
    releaseNamespace,
    buildNamespace,
  });

  it("is accepted by the test API server (every object, server-side apply, dry-run)", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath ?? "");
    const core = kc.makeApiClient(CoreV1Api);
    const client = KubernetesObjectApi.makeApiClient(kc);
    // Dry-run cannot create a namespace that later objects of the same dry-run live in.
    await core.createNamespace({ body: { metadata: { name: releaseNamespace } } });
    await core.createNamespace({ body: { metadata: { name: buildNamespace } } });
    let refused: string[] = [];
    try {
      refused = await dryRunApply(client, objects);
    } finally {
      for (const name of [releaseNamespace, buildNamespace])
        await core.deleteNamespace({ name }).catch(() => undefined);
    }
    expect(refused).toEqual([]);
    expect(objects.length).toBeGreaterThan(15);
  });

  it("keeps the generated key and internal token across upgrades, and the key after an uninstall", async () => {
    const release = `keys-${suffix}`;
    const namespace = `kli8nt-keys-${suffix}`;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath ?? "");
    const core = kc.makeApiClient(CoreV1Api);
    const helmIn = (command: string, ...more: string[]) =>
      run(helm, [command, release, ...more, "--namespace", namespace, "--kubeconfig", kubeconfigPath ?? ""]);
    // Against a live API server helm knows the version: no --kube-version here.
    const values = sets(required.map((v) => v.replace(buildNamespace, `kli8nt-keybuilds-${suffix}`))).slice(
      2,
    );
    const platform = async () => {
      const secret = await core.readNamespacedSecret({ name: `${release}-platform`, namespace });
      const data = secret.data ?? {};
      return { key: data.secretKey, token: data.internalToken, policy: secret.metadata?.annotations };
    };
    try {
      await helmIn("install", chart, "--create-namespace", ...values);
      const installed = await platform();
      expect(Buffer.from(installed.key ?? "", "base64").toString()).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      await helmIn("upgrade", chart, ...values);
      const upgraded = await platform();
      expect(upgraded.key).toBe(installed.key);
      expect(upgraded.token).toBe(installed.token);
      await helmIn("uninstall");
      expect((await platform()).key, "the key outlives the release").toBe(installed.key);
      expect(installed.policy?.["helm.sh/resource-policy"]).toBe("keep");
    } finally {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  }, 120_000);
});
