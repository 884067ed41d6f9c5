import { randomBytes } from "node:crypto";
import { resolveSettings } from "@kli8nt/manifests";
import { failUnderCi } from "@kli8nt/testkit";
import { BatchV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RuntimeSubject, runRuntimeContract } from "../runtime-contract.ts";
import type { DesiredRelease } from "../runtime-port.ts";
import { makeKubeApi } from "./kube-api.ts";
import { KubernetesDeployer } from "./kubernetes-deployer.ts";
import { kubernetesRuntime } from "./kubernetes-runtime.ts";

// The Runtime port's contract on the Kubernetes adapter, against the test cluster of
// scripts/infra/kubernetes.sh. kwok simulates the pods (test/k8s/kwok/stages.yaml): Deployment pods become
// Ready, an image named *never-ready* never does (a rollout that fails), and a Job pod of an image named
// *exits-nonzero* fails with exit code 3 and kwok's fixed log lines.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
const missing = failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

const digest = () => `sha256:${randomBytes(32).toString("hex")}`;
const hex = () => randomBytes(4).toString("hex");

function desired(appName: string, tag: string, image: string): DesiredRelease {
  return {
    deploymentId: `dep_${tag}_${hex()}`,
    appId: `app_${appName}`,
    appName,
    image,
    port: 3000,
    env: { GREETING: "hi" },
    processes: [{ type: "web", command: null, count: 1, memory: "128Mi", cpu: "100m" }],
    healthPath: "/",
    restartedAt: null,
    stopped: false,
  };
}

function deployerFor(prefix: string): { kc: KubeConfig; deployer: KubernetesDeployer } {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath ?? "");
  const deployer = new KubernetesDeployer(makeKubeApi(kc), {
    // A short deadline: the failing release's rollout is given up on within seconds.
    settings: resolveSettings({
      appsDomain: "apps.test.invalid",
      namespacePrefix: prefix,
      progressDeadlineSeconds: 5,
    }),
    pollMs: 200,
    rolloutGraceMs: 5_000,
  });
  return { kc, deployer };
}

async function kubernetesSubject(): Promise<RuntimeSubject> {
  const { deployer } = deployerFor(`krc${hex()}-`);
  return {
    runtime: kubernetesRuntime(deployer),
    release: async (app, tag) => desired(app, tag, `registry.test.invalid/apps/${app}@${digest()}`),
    failing: async (app) => desired(app, "bad", `registry.test.invalid/never-ready/${app}@${digest()}`),
    oneOffImage: async () => `registry.test.invalid/release-exits-nonzero@${digest()}`,
    simulatedOneOff: { exitCode: 3, output: "fake container log line" },
    close: async () => undefined,
  };
}

if (!missing) runRuntimeContract("Kubernetes runtime on the test cluster (kwok)", kubernetesSubject);

describe.skipIf(missing)("Kubernetes runtime: formation, release Job, observe", () => {
  const prefix = `krt${hex()}-`;
  let kc: KubeConfig;
  let deployer: KubernetesDeployer;

  beforeAll(() => {
    ({ kc, deployer } = deployerFor(prefix));
  });
  afterAll(async () => {
    await deployer?.remove("shop").catch(() => undefined);
  });

  it("runs web and worker as their own Deployments and reports replicas, ready and restarts per type", async () => {
    const runtime = kubernetesRuntime(deployer);
    const base = desired("shop", "v1", `registry.test.invalid/apps/shop@${digest()}`);
    const worker = { type: "worker", command: "node worker.js", count: 2, memory: "64Mi", cpu: "50m" };
    const r = { ...base, processes: [...base.processes, worker] };
    expect(await runtime.apply(r)).toEqual({ ok: true, url: "https://shop.apps.test.invalid" });
    const seen = await runtime.observe("shop");
    expect(seen.processes).toEqual([
      { type: "web", replicas: 1, ready: 1, restarts: 0 },
      { type: "worker", replicas: 2, ready: 2, restarts: 0 },
    ]);
    expect(seen.instances.filter((i) => i.type === "worker" && i.state === "running")).toHaveLength(2);
    const services = await kc.makeApiClient(CoreV1Api).listNamespacedService({ namespace: `${prefix}shop` });
    expect(services.items.map((s) => s.metadata?.name)).toEqual(["shop"]);

    // worker at 0 stays a Deployment with no pod; a type gone from the formation is pruned.
    await runtime.apply({ ...r, processes: [...base.processes, { ...worker, count: 0 }] });
    expect((await runtime.observe("shop")).processes?.find((p) => p.type === "worker")?.replicas).toBe(0);
    await runtime.apply(base);
    expect((await runtime.observe("shop")).processes?.map((p) => p.type)).toEqual(["web"]);
  }, 120_000);

  it("runs the release command as a Job of the new image in the app's namespace, with the app's env", async () => {
    const runtime = kubernetesRuntime(deployer);
    const image = `registry.test.invalid/apps/shop@${digest()}`;
    const lines: string[] = [];
    const result = await runtime.runOnce({
      deploymentId: "dep_rel_1",
      appId: "app_shop",
      appName: "shop",
      image,
      env: { MIGRATION: "0042" },
      command: "python manage.py migrate",
      phase: "release",
      runId: "1",
      memory: "128Mi",
      cpu: "100m",
      timeoutMs: 60_000,
      onLine: (_stream, line) => lines.push(line),
    });
    expect(result.exitCode).toBe(0);
    expect(lines.length).toBeGreaterThan(0);
    const namespace = `${prefix}shop`;
    const job = await kc
      .makeApiClient(BatchV1Api)
      .readNamespacedJob({ name: "shop-release-dep-rel-1", namespace });
    const container = job.spec?.template.spec?.containers[0];
    expect(container?.image).toBe(image);
    expect(JSON.stringify(container)).toContain("python manage.py migrate");
    expect(job.spec?.template.metadata?.labels?.["kli8nt.io/phase"]).toBe("release");
    const secretName = container?.envFrom?.[0]?.secretRef?.name ?? "";
    const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: secretName, namespace });
    expect(Buffer.from(secret.data?.MIGRATION ?? "", "base64").toString()).toBe("0042");
  }, 60_000);
});
