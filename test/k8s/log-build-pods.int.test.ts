import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBus } from "@kli8nt/bus";
import type { BuildRequested } from "@kli8nt/core";
import type { LogStore } from "@kli8nt/logstore";
// Not exported by @kli8nt/logstore yet (its index exposes the file adapter only).
import { createKafkaLogStore } from "@kli8nt/logstore";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { BatchV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BuildAdmission,
  KanikoJobBuilder,
  kanikoBuildHandler,
} from "../../apps/build-controller/src/kaniko-job/index.ts";
import { LogController } from "../../apps/log-controller/src/index.ts";
import { FAILURE_ANNOTATION, type KwokNode, OUTCOME_ANNOTATION, startKwokNode } from "./build-kwok-node.ts";

// Build logs end to end: a Kaniko build Job's pod (prepare init container + kaniko container) is
// followed by the log controller and its lines land in the app's Kafka topic as phase "build".
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
const brokers = process.env.KLI8NT_TEST_KAFKA_BROKERS;
failUnderCi(
  !kubeconfigPath || !brokers,
  "KLI8NT_TEST_KUBECONFIG or KLI8NT_TEST_KAFKA_BROKERS is not set: start_kubernetes and start_kafka did not run",
);

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe.skipIf(!kubeconfigPath || !brokers)("log controller on build pods", () => {
  const kc = new KubeConfig();
  const suffix = randomBytes(3).toString("hex");
  const namespace = `kli8nt-builds-logs-${suffix}`;
  const dir = mkdtempSync(join(tmpdir(), "kli8nt-buildlogs-"));
  let node: KwokNode;
  let core: CoreV1Api;
  let kafka: LogStore;

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    core = kc.makeApiClient(CoreV1Api);
    writeFileSync(
      join(dir, "prepare.log"),
      "2026-03-02T08:00:00.100000000Z stderr F Cloning into '/workspace/checkout'...\n" +
        "2026-03-02T08:00:01.200000000Z stdout F Prepared node build of 0123456789abcdef\n",
    );
    writeFileSync(
      join(dir, "kaniko.log"),
      "2026-03-02T08:00:02.000000000Z stderr F INFO[0000] Retrieving image manifest node:20\n" +
        "2026-03-02T08:00:09.000000000Z stderr F error building image: RUN npm ci: exit status 1\n",
    );
    const logs = `---
kind: ClusterLogs
apiVersion: kwok.x-k8s.io/v1alpha1
metadata:
  name: build-logs-${suffix}
spec:
  selector:
    matchNamespaces: [${namespace}]
  logs:
  - containers: [prepare]
    logsFile: ${join(dir, "prepare.log")}
  - containers: [kaniko]
    logsFile: ${join(dir, "kaniko.log")}
    follow: true
`;
    node = await startKwokNode(kc, kubeconfigPath ?? "", { id: `blogs-${suffix}`, extraConfig: logs });
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    kafka = createKafkaLogStore({ brokers: [brokers ?? ""], topicPrefix: `it-buildlogs-${suffix}.` });
  });

  afterAll(async () => {
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    await node?.stop();
    await kafka?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores the prepare and kaniko lines of a build pod as the app's build log", async () => {
    const batch = kc.makeApiClient(BatchV1Api);
    const builder = new KanikoJobBuilder({
      kubeConfig: kc,
      settings: {
        namespace,
        registry: "registry.test.invalid/kli8nt",
        registrySecret: undefined,
        registryInsecure: false,
        kanikoImage: `ghcr.io/osscontainertools/kaniko@sha256:${"ef".repeat(32)}`,
        prepareImage: "registry.test.invalid/kli8nt/kli8nt:test",
        resources: { cpu: "1", memory: "1Gi" },
        timeoutSeconds: 600,
        ttlSecondsAfterFinished: 60,
        nodeSelector: node.nodeSelector,
        tolerations: node.tolerations,
        baseImages: {},
        podAnnotations: {},
      },
      admission: new BuildAdmission(batch, { namespace, clusterLimit: 2, userLimit: 2 }),
      pollMs: 200,
    });
    const bus = new MemoryBus();
    const handle = kanikoBuildHandler({ builder, bus, logger: silent });
    const appName = `logs-${suffix}`;
    // This app's pods only: other suites' Kli8nt pods run in the same cluster at the same time.
    const labelSelector = `kli8nt.io/app=${appName}`;
    const controller = new LogController({
      kc,
      store: kafka,
      logger: silent,
      retryDelayMs: 200,
      labelSelector,
    });
    await controller.start();
    const message: BuildRequested = {
      type: "BuildRequested",
      version: 1,
      deploymentId: `dep_${suffix}`,
      appId: `app_logs_${suffix}`,
      appName,
      repository: { url: "https://github.test.invalid/o/r.git", ref: "main", commitSha: null, rootDir: "" },
      requestedAt: new Date().toISOString(),
    };
    const appId = message.appId;
    try {
      const done = handle(message);
      const lines = async () => (await kafka.read(appId, { limit: 100 })).records;
      await eventually("four build lines", async () => ((await lines()).length >= 4 ? true : undefined));
      const pods = await core.listNamespacedPod({
        namespace,
        labelSelector: `kli8nt.io/deployment=${message.deploymentId}`,
      });
      const pod = pods.items[0]?.metadata?.name ?? "";
      await core.patchNamespacedPod(
        {
          name: pod,
          namespace,
          body: { metadata: { annotations: { [OUTCOME_ANNOTATION]: "fail", [FAILURE_ANNOTATION]: "x" } } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      await done;
      // Containers are followed side by side: order holds within a container (stable sort), not across them.
      const records = (await lines()).sort((a, b) => a.source.localeCompare(b.source));
      expect(records.map((r) => [r.source, r.phase, r.deploymentId, r.line])).toEqual([
        [`${pod}/kaniko`, "build", message.deploymentId, "INFO[0000] Retrieving image manifest node:20"],
        [`${pod}/kaniko`, "build", message.deploymentId, "error building image: RUN npm ci: exit status 1"],
        [`${pod}/prepare`, "build", message.deploymentId, "Cloning into '/workspace/checkout'..."],
        [`${pod}/prepare`, "build", message.deploymentId, "Prepared node build of 0123456789abcdef"],
      ]);
    } finally {
      await controller.stop();
      await bus.close();
    }
  });
});
