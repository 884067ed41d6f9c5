import { randomBytes } from "node:crypto";
import { MemoryBus } from "@kli8nt/bus";
import {
  type BuildRequested,
  type DeploymentProgress,
  type DeployRequested,
  deploymentProgressV1,
  deployRequestedV1,
} from "@kli8nt/core";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Job,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BuildAdmission,
  KanikoJobBuilder,
  type KanikoJobConfig,
  kanikoBuildHandler,
} from "../../apps/build-controller/src/kaniko-job/index.ts";
import {
  FAILURE_ANNOTATION,
  IMAGE_ANNOTATION,
  type KwokNode,
  OUTCOME_ANNOTATION,
  PREPARE_MESSAGE_ANNOTATION,
  startKwokNode,
} from "./build-kwok-node.ts";

// The Kubernetes builder against the real API server, job controller and garbage collector of
// scripts/infra/kubernetes.sh. Job pods run on a dedicated kwok node whose stages finish a pod only
// once the test annotates it (succeed with an image digest, or fail with a message), so the test can
// read the stored Job first and choose the outcome.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

const REGISTRY = "registry.test.invalid/kli8nt";
const KANIKO = `ghcr.io/osscontainertools/kaniko@sha256:${"ab".repeat(32)}`;
const silent = { info: () => undefined, warn: () => undefined };

function buildMessage(app: string): BuildRequested {
  const id = randomBytes(6).toString("hex");
  return {
    type: "BuildRequested",
    version: 1,
    deploymentId: `dep_${id}`,
    appId: `app_${app}`,
    appName: app,
    repository: { url: "https://github.test.invalid/o/r.git", ref: "main", commitSha: null, rootDir: "" },
    requestedAt: new Date().toISOString(),
  };
}

describe.skipIf(!kubeconfigPath)("Kaniko Job builder on a real API server", () => {
  const kc = new KubeConfig();
  const suffix = randomBytes(3).toString("hex");
  const namespace = `kli8nt-builds-${suffix}`;
  let node: KwokNode;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  const bus = new MemoryBus({ retry: { maxAttempts: 1 } });
  const deploys: DeployRequested[] = [];
  const informs: DeploymentProgress[] = [];

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    core = kc.makeApiClient(CoreV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    node = await startKwokNode(kc, kubeconfigPath ?? "", { id: `build-${suffix}` });
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await bus.consume("DEPLOY", deployRequestedV1, async (m) => void deploys.push(m), { prefetch: 10 });
    await bus.consume("INFORM", deploymentProgressV1, async (m) => void informs.push(m), { prefetch: 10 });
  });

  afterAll(async () => {
    await bus.close();
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    await node?.stop();
  });

  function handlerWith(limits: Partial<Pick<KanikoJobConfig, "clusterLimit" | "userLimit">> = {}) {
    const settings = {
      namespace,
      registry: REGISTRY,
      registrySecret: "registry-push",
      registryInsecure: false,
      kanikoImage: KANIKO,
      prepareImage: "registry.test.invalid/kli8nt/kli8nt:test",
      resources: { cpu: "1", memory: "2Gi" },
      timeoutSeconds: 600,
      ttlSecondsAfterFinished: 120,
      nodeSelector: node.nodeSelector,
      tolerations: node.tolerations,
      baseImages: { node: "registry.test.invalid/node:20" },
      podAnnotations: {},
      packageRegistries: { npmRegistry: "https://npm.test.invalid/" },
      caConfigMap: { name: "build-ca", key: "ca.crt" },
    };
    const admission = new BuildAdmission(batch, {
      namespace,
      clusterLimit: limits.clusterLimit ?? 4,
      userLimit: limits.userLimit ?? 4,
    });
    const builder = new KanikoJobBuilder({
      kubeConfig: kc,
      settings,
      admission,
      credentials: async () => "ghs_secret_clone_token_123",
      pollMs: 200,
    });
    // Owner = the part of the app name before the first dash, so tests choose whose build it is.
    const ownerOf = async (m: BuildRequested) => `usr_${m.appName.split("-")[0]}`;
    return kanikoBuildHandler({ builder, bus, logger: silent, ownerOf });
  }

  const jobOf = (m: BuildRequested) =>
    eventually(`Job of ${m.deploymentId}`, async () => {
      const list = await batch.listNamespacedJob({
        namespace,
        labelSelector: `kli8nt.io/deployment=${m.deploymentId}`,
      });
      return list.items[0];
    });

  async function finishPod(job: V1Job, annotations: Record<string, string>): Promise<void> {
    const name = job.metadata?.name ?? "";
    const pod = await eventually("running build pod", async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` });
      const p = pods.items[0];
      return p?.status?.phase === "Running" ? p : undefined;
    });
    await core.patchNamespacedPod(
      { name: pod.metadata?.name ?? "", namespace, body: { metadata: { annotations } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  }

  async function expectNamespaceEmpty(): Promise<void> {
    await eventually("empty build namespace", async () => {
      const [jobs, pods, secrets] = await Promise.all([
        batch.listNamespacedJob({ namespace }),
        core.listNamespacedPod({ namespace }),
        core.listNamespacedSecret({ namespace }),
      ]);
      return jobs.items.length + pods.items.length + secrets.items.length === 0 ? true : undefined;
    });
  }

  it("creates the Job as specified, then publishes DEPLOY with the digest and tears everything down", async () => {
    const message = buildMessage(`hello-${suffix}`);
    const done = handlerWith()(message);
    const job = await jobOf(message);
    const pod = job.spec?.template.spec;
    expect(job.spec?.backoffLimit).toBe(0);
    expect(job.spec?.activeDeadlineSeconds).toBe(600);
    expect(job.spec?.ttlSecondsAfterFinished).toBe(120);
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.restartPolicy).toBe("Never");
    expect(pod?.nodeSelector).toEqual(node.nodeSelector);
    const prepare = pod?.initContainers?.[0];
    const kaniko = pod?.containers[0];
    expect(prepare?.name).toBe("prepare");
    expect(kaniko?.name).toBe("kaniko");
    expect(kaniko?.image).toBe(KANIKO);
    expect(kaniko?.args).toEqual(
      expect.arrayContaining([
        `--destination=${REGISTRY}/${message.appName}:${message.deploymentId.replace("_", "-")}`,
        "--cache=true",
        `--cache-repo=${REGISTRY}/${message.appName}/cache`,
        "--image-name-with-digest-file=/dev/termination-log",
      ]),
    );
    expect(kaniko?.resources?.limits).toEqual({ cpu: "1", memory: "2Gi" });
    expect(kaniko?.volumeMounts?.map((m) => m.mountPath)).toEqual([
      "/workspace",
      "/kaniko/.docker",
      "/run/build-ca.crt",
      "/kaniko/build-ca/ca.crt",
    ]);
    // The API server kept the CA mounts as rendered: one key of the ConfigMap, read-only, for RUN steps,
    // for Kaniko's own TLS, and for the prepare step's clone (ADR 0125).
    const caMounts = [...(kaniko?.volumeMounts ?? []), ...(prepare?.volumeMounts ?? [])].filter(
      (m) => m.name === "build-ca",
    );
    expect(caMounts.map((m) => [m.mountPath, m.subPath, m.readOnly])).toEqual([
      ["/run/build-ca.crt", "ca.crt", true],
      ["/kaniko/build-ca/ca.crt", "ca.crt", true],
      ["/var/run/kli8nt/clone-ca.crt", "ca.crt", true],
    ]);
    expect(kaniko?.env).toContainEqual({ name: "SSL_CERT_DIR", value: "/kaniko/ssl/certs:/kaniko/build-ca" });
    expect(pod?.volumes?.find((v) => v.name === "build-ca")?.configMap?.name).toBe("build-ca");
    expect(prepare?.env).toEqual(
      expect.arrayContaining([
        { name: "KLI8NT_NPM_REGISTRY", value: "https://npm.test.invalid/" },
        { name: "KLI8NT_BUILD_CA_PATH", value: "/run/build-ca.crt" },
        { name: "KLI8NT_CLONE_CA_FILE", value: "/var/run/kli8nt/clone-ca.crt" },
      ]),
    );
    // The token reaches only the prepare container, as a file from the per-build Secret.
    expect(JSON.stringify(job)).not.toContain("ghs_secret_clone_token_123");
    expect(prepare?.volumeMounts?.find((m) => m.name === "git-token")?.readOnly).toBe(true);
    expect(kaniko?.volumeMounts?.some((m) => m.name === "git-token")).toBe(false);
    const secretName = pod?.volumes?.find((v) => v.name === "git-token")?.secret?.secretName ?? "";
    const secret = await eventually("token Secret", () =>
      core.readNamespacedSecret({ name: secretName, namespace }),
    );
    expect(Buffer.from(secret.data?.token ?? "", "base64").toString()).toBe("ghs_secret_clone_token_123");
    expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "Job", uid: job.metadata?.uid });

    const digest = `sha256:${randomBytes(32).toString("hex")}`;
    await finishPod(job, {
      [OUTCOME_ANNOTATION]: "succeed",
      [IMAGE_ANNOTATION]: `${REGISTRY}/${message.appName}:latest@${digest}`,
      [PREPARE_MESSAGE_ANNOTATION]: JSON.stringify({
        provider: "node",
        port: 8080,
        commitSha: "a".repeat(40),
      }),
    });
    await done;
    await eventually("DEPLOY", async () => deploys.find((d) => d.deploymentId === message.deploymentId));
    const deploy = deploys.find((d) => d.deploymentId === message.deploymentId);
    expect(deploy).toMatchObject({ image: `${REGISTRY}/${message.appName}@${digest}`, port: 8080 });
    const states = informs.filter((i) => i.deploymentId === message.deploymentId).map((i) => i.state);
    expect(states).toEqual(["building", "built"]);
    expect(
      informs.find((i) => i.state === "built" && i.deploymentId === message.deploymentId)?.commitSha,
    ).toBe("a".repeat(40));
    await expectNamespaceEmpty();
  });

  it("reports a failed build with its reason and tears it down too", async () => {
    const message = buildMessage(`broken-${suffix}`);
    const done = handlerWith()(message);
    const job = await jobOf(message);
    await finishPod(job, {
      [OUTCOME_ANNOTATION]: "fail",
      [FAILURE_ANNOTATION]: "error building image: RUN npm ci: exit status 1",
    });
    await done;
    const failed = await eventually("INFORM failed", async () =>
      informs.find((i) => i.deploymentId === message.deploymentId && i.state === "failed"),
    );
    expect(failed.reason).toBe(
      "Building the image failed (exit code 1): error building image: RUN npm ci: exit status 1",
    );
    expect(deploys.some((d) => d.deploymentId === message.deploymentId)).toBe(false);
    await expectNamespaceEmpty();
  });

  it("holds a build back while the cluster is at its limit (the message stays unacknowledged)", async () => {
    const handle = handlerWith({ clusterLimit: 1 });
    const first = buildMessage(`first-${suffix}`);
    const second = buildMessage(`second-${suffix}`);
    const firstDone = handle(first);
    const firstJob = await jobOf(first);
    const secondDone = handle(second);
    await new Promise((r) => setTimeout(r, 1_500));
    const jobs = await batch.listNamespacedJob({ namespace });
    expect(jobs.items.map((j) => j.metadata?.name)).toEqual([firstJob.metadata?.name]);
    await finishPod(firstJob, { [OUTCOME_ANNOTATION]: "fail", [FAILURE_ANNOTATION]: "stopped" });
    await firstDone;
    const secondJob = await jobOf(second);
    await finishPod(secondJob, { [OUTCOME_ANNOTATION]: "fail", [FAILURE_ANNOTATION]: "stopped" });
    await secondDone;
    await expectNamespaceEmpty();
  });

  it("holds back a user's second build at the per-user limit while another user's build runs", async () => {
    const handle = handlerWith({ userLimit: 1 });
    const first = buildMessage(`ann-${suffix}`);
    const second = buildMessage(`ann-${suffix}-b`);
    const other = buildMessage(`bob-${suffix}`);
    const firstDone = handle(first);
    const firstJob = await jobOf(first);
    const secondDone = handle(second);
    const otherDone = handle(other);
    const otherJob = await jobOf(other);
    await new Promise((r) => setTimeout(r, 1_000));
    const names = (await batch.listNamespacedJob({ namespace })).items.map((j) => j.metadata?.name).sort();
    expect(names).toEqual([firstJob.metadata?.name, otherJob.metadata?.name].sort());
    expect(firstJob.metadata?.labels?.["kli8nt.io/owner"]).toBe("usr_ann");
    for (const job of [firstJob, otherJob]) {
      await finishPod(job, { [OUTCOME_ANNOTATION]: "fail", [FAILURE_ANNOTATION]: "stopped" });
    }
    await Promise.all([firstDone, otherDone]);
    const secondJob = await jobOf(second);
    await finishPod(secondJob, { [OUTCOME_ANNOTATION]: "fail", [FAILURE_ANNOTATION]: "stopped" });
    await secondDone;
    await expectNamespaceEmpty();
  });
});
