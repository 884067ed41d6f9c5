import { randomBytes } from "node:crypto";
import { RabbitMqBus } from "@kli8nt/bus";
import {
  type BuildRequested,
  buildRequestedV1,
  type DeploymentProgress,
  deploymentProgressV1,
} from "@kli8nt/core";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { BatchV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BuildAdmission,
  KanikoJobBuilder,
  kanikoBuildHandler,
} from "../../apps/build-controller/src/kaniko-job/index.ts";
import { FAILURE_ANNOTATION, type KwokNode, OUTCOME_ANNOTATION, startKwokNode } from "./build-kwok-node.ts";

// Waiting builds wait in RabbitMQ, not in the cluster: the BUILD consumer's prefetch equals the cluster
// limit, so with one build running the next message stays ready in the queue (checked on the broker).
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
const amqpUrl = process.env.KLI8NT_TEST_AMQP_URL;
failUnderCi(
  !kubeconfigPath || !amqpUrl,
  "KLI8NT_TEST_KUBECONFIG or KLI8NT_TEST_AMQP_URL is not set: start_kubernetes and start_rabbitmq did not run",
);

describe.skipIf(!kubeconfigPath || !amqpUrl)("Kaniko builds queued in RabbitMQ", () => {
  const kc = new KubeConfig();
  const suffix = randomBytes(3).toString("hex");
  const namespace = `kli8nt-builds-mq-${suffix}`;
  const prefix = `t-build-${suffix}.`;
  let node: KwokNode;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let bus: RabbitMqBus;
  const informs: DeploymentProgress[] = [];

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    core = kc.makeApiClient(CoreV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    node = await startKwokNode(kc, kubeconfigPath ?? "", { id: `mq-${suffix}` });
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    bus = await RabbitMqBus.connect({ url: amqpUrl ?? "", prefix });
    await bus.consume("INFORM", deploymentProgressV1, async (m) => void informs.push(m), { prefetch: 10 });
  });

  afterAll(async () => {
    await bus?.close();
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    await node?.stop();
  });

  const message = (app: string): BuildRequested => ({
    type: "BuildRequested",
    version: 1,
    deploymentId: `dep_${randomBytes(6).toString("hex")}`,
    appId: `app_${app}`,
    appName: app,
    repository: { url: "https://github.test.invalid/o/r.git", ref: "main", commitSha: null, rootDir: "" },
    requestedAt: new Date().toISOString(),
  });

  const runningPod = (m: BuildRequested) =>
    eventually("running build pod", async () => {
      const pods = await core.listNamespacedPod({
        namespace,
        labelSelector: `kli8nt.io/deployment=${m.deploymentId}`,
      });
      return pods.items[0]?.status?.phase === "Running" ? pods.items[0] : undefined;
    });

  async function failPodOf(m: BuildRequested): Promise<void> {
    const pod = await runningPod(m);
    await core.patchNamespacedPod(
      {
        name: pod.metadata?.name ?? "",
        namespace,
        body: {
          metadata: { annotations: { [OUTCOME_ANNOTATION]: "fail", [FAILURE_ANNOTATION]: "stopped" } },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  }

  it("keeps the second build as a ready message until the first one finished", async () => {
    const clusterLimit = 1;
    const builder = new KanikoJobBuilder({
      kubeConfig: kc,
      settings: {
        namespace,
        registry: "registry.test.invalid/kli8nt",
        registrySecret: undefined,
        registryInsecure: false,
        kanikoImage: `ghcr.io/osscontainertools/kaniko@sha256:${"cd".repeat(32)}`,
        prepareImage: "registry.test.invalid/kli8nt/kli8nt:test",
        resources: { cpu: "1", memory: "1Gi" },
        timeoutSeconds: 600,
        ttlSecondsAfterFinished: 60,
        nodeSelector: node.nodeSelector,
        tolerations: node.tolerations,
        baseImages: {},
        podAnnotations: {},
      },
      admission: new BuildAdmission(batch, { namespace, clusterLimit, userLimit: 5 }),
      pollMs: 200,
    });
    const handle = kanikoBuildHandler({
      builder,
      bus,
      logger: { info: () => undefined, warn: () => undefined },
    });
    const consumer = await bus.consume("BUILD", buildRequestedV1, (m) => handle(m), {
      prefetch: clusterLimit,
    });
    const first = message(`one-${suffix}`);
    const second = message(`two-${suffix}`);
    for (const m of [first, second])
      await bus.publish("BUILD", { id: m.deploymentId, type: "BuildRequested", body: m });

    await runningPod(first);
    const amqp = await connect(amqpUrl ?? "");
    try {
      const channel = await amqp.createChannel();
      // While the first build runs, the second is a ready message on the broker, not a Job or a pod.
      expect((await channel.checkQueue(`${prefix}BUILD`)).messageCount).toBe(1);
      expect((await batch.listNamespacedJob({ namespace })).items).toHaveLength(1);
      await failPodOf(first);
      await failPodOf(second);
      await eventually("both builds reported", async () =>
        informs.filter((i) => i.state === "failed").length === 2 ? true : undefined,
      );
      expect((await channel.checkQueue(`${prefix}BUILD`)).messageCount).toBe(0);
    } finally {
      await amqp.close();
      await consumer.cancel();
    }
    expect(informs.map((i) => `${i.appId}:${i.state}`)).toEqual([
      `${first.appId}:building`,
      `${first.appId}:failed`,
      `${second.appId}:building`,
      `${second.appId}:failed`,
    ]);
  });
});
