import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@kli8nt/testkit";
import { BatchV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { describe } from "vitest";
import { planFacts } from "../../apps/build-controller/src/builder.ts";
import {
  type BuilderUnderTest,
  runBuilderContract,
} from "../../apps/build-controller/src/builder-contract.ts";
import {
  BuildAdmission,
  buildNames,
  KanikoJobBuilder,
} from "../../apps/build-controller/src/kaniko-job/index.ts";
import { prepareBuild } from "../../apps/build-controller/src/prepare-build.ts";
import { createLocalRepo } from "../../apps/build-controller/src/testing/local-repo.ts";
import {
  FAILURE_ANNOTATION,
  IMAGE_ANNOTATION,
  OUTCOME_ANNOTATION,
  PREPARE_MESSAGE_ANNOTATION,
  startKwokNode,
} from "./build-kwok-node.ts";

// The Kaniko Job builder's contract on the real API server, Job controller and garbage collector of
// scripts/infra/kubernetes.sh. The build pod runs on a kwok node, so no container runs: the harness plays
// the pod's two containers. Its prepare step runs the real prepareBuild on the repository (the facts the
// Job's prepare container reports), its Kaniko step reports a digest of the repository's content, or the
// failing build's output. What is real: the Job and Secret, the termination-message path back to the
// builder, the Job's deadline (activeDeadlineSeconds) as the timeout, the teardown.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
if (!kubeconfigPath && process.env.CI === "true") {
  throw new Error(
    "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
  );
}
const REGISTRY = "registry.test.invalid/kli8nt";

async function makeKaniko(): Promise<BuilderUnderTest> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath ?? "");
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const suffix = randomBytes(3).toString("hex");
  const namespace = `kli8nt-contract-${suffix}`;
  const node = await startKwokNode(kc, kubeconfigPath ?? "", { id: `contract-${suffix}` });
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const settings = {
    namespace,
    registry: REGISTRY,
    registrySecret: "registry-push",
    registryInsecure: false,
    kanikoImage: `ghcr.io/osscontainertools/kaniko@sha256:${"ab".repeat(32)}`,
    prepareImage: "registry.test.invalid/kli8nt/kli8nt:test",
    resources: { cpu: "1", memory: "2Gi" },
    timeoutSeconds: 600,
    ttlSecondsAfterFinished: 120,
    nodeSelector: node.nodeSelector,
    tolerations: node.tolerations,
    baseImages: {},
    podAnnotations: {},
    packageRegistries: {},
    caConfigMap: undefined,
  };
  const admission = new BuildAdmission(batch, { namespace, clusterLimit: 4, userLimit: 4 });
  const builder = new KanikoJobBuilder({ kubeConfig: kc, settings, admission, pollMs: 200 });
  const repos = new Map<string, { dir: string; head: string }>();

  const annotatePod = async (deploymentId: string, annotations: Record<string, string>) => {
    const pod = await eventually(`running build pod of ${deploymentId}`, async () => {
      const pods = await core.listNamespacedPod({
        namespace,
        labelSelector: `kli8nt.io/deployment=${deploymentId}`,
      });
      return pods.items.find((p) => p.status?.phase === "Running" && !p.metadata?.deletionTimestamp);
    });
    await core.patchNamespacedPod(
      { name: pod.metadata?.name ?? "", namespace, body: { metadata: { annotations } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  };

  return {
    builder,
    repository: async (files) => {
      const repo = createLocalRepo(files);
      const url = `https://git.test.invalid/${randomBytes(4).toString("hex")}.git`;
      repos.set(url, { dir: repo.dir, head: repo.head });
      return { repository: { url, ref: "main", commitSha: null, rootDir: "" }, head: repo.head };
    },
    drive: async (request, files, outcome) => {
      if (outcome.kind === "fail") {
        await annotatePod(request.deploymentId, {
          [OUTCOME_ANNOTATION]: "fail",
          [FAILURE_ANNOTATION]: outcome.output,
        });
        return;
      }
      const repo = repos.get(request.repository.url);
      if (!repo) throw new Error(`unknown repository ${request.repository.url}`);
      const prepared = await prepareBuild(repo.dir, mkdtempSync(join(tmpdir(), "kli8nt-contract-")), "", {});
      const report = { ...planFacts(prepared.plan), commitSha: repo.head };
      const digest = createHash("sha256").update(JSON.stringify(files)).digest("hex");
      const names = buildNames(request.deploymentId, request.appName, REGISTRY);
      await annotatePod(request.deploymentId, {
        [OUTCOME_ANNOTATION]: "succeed",
        [IMAGE_ANNOTATION]: `${names.tag}@sha256:${digest}`,
        [PREPARE_MESSAGE_ANNOTATION]: JSON.stringify(report),
      });
    },
    // No registry behind a kwok node: the builder must return the image pinned by digest to its repository.
    imageExists: async (image) =>
      /^registry\.test\.invalid\/kli8nt\/contract-[0-9a-f]+@sha256:[0-9a-f]{64}$/.test(image),
    stopWithinMs: 60_000,
    dispose: async () => {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      await node.stop();
    },
  };
}

describe.skipIf(!kubeconfigPath)("Kaniko Job on a real API server", () => {
  runBuilderContract("kaniko-job", makeKaniko);
});
