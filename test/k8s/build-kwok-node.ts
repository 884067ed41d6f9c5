// Test helper for the build and log suites: a dedicated fake node served by a second kwok process with
// stages this suite controls (the shared kwok of scripts/infra/kubernetes.sh completes every Job pod
// the same way and serves one fixed log). The node is tainted so no other suite's pods land on it.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@kli8nt/testkit";
import { CoreV1Api, type KubeConfig, type V1Toleration } from "@kubernetes/client-node";

export const TEST_NODE_LABEL = "kli8nt.io/test-node";

/** Pod annotations read by the build stages below. */
export const OUTCOME_ANNOTATION = "test.kli8nt.io/outcome";
export const IMAGE_ANNOTATION = "test.kli8nt.io/image";
export const PREPARE_MESSAGE_ANNOTATION = "test.kli8nt.io/prepare-message";
export const FAILURE_ANNOTATION = "test.kli8nt.io/failure";

const terminatedTemplate = (list: string, exitCode: string, message: string) => `
      ${list}:
      {{ range .spec.${list === "containerStatuses" ? "containers" : "initContainers"} }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        state:
          terminated:
            exitCode: ${exitCode}
            reason: ${exitCode === "0" ? "Completed" : "Error"}
            message: ${message}
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}`;

function buildStage(name: string, outcome: string, phase: string, kaniko: string): string {
  return `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: '.metadata.deletionTimestamp', operator: DoesNotExist}
    - {key: '.status.phase', operator: In, values: [Running]}
    - {key: '.metadata.annotations["${OUTCOME_ANNOTATION}"]', operator: In, values: ['${outcome}']}
  next:
    statusTemplate: |
      {{ $now := Now }}
      {{ $a := .metadata.annotations }}${terminatedTemplate("initContainerStatuses", "0", `{{ or (index $a "${PREPARE_MESSAGE_ANNOTATION}") "" | Quote }}`)}${kaniko}
      phase: ${phase}
`;
}

const STAGES =
  buildStage(
    "kli8nt-build-succeeds",
    "succeed",
    "Succeeded",
    terminatedTemplate("containerStatuses", "0", `{{ index $a "${IMAGE_ANNOTATION}" | Quote }}`),
  ) +
  buildStage(
    "kli8nt-build-fails",
    "fail",
    "Failed",
    terminatedTemplate("containerStatuses", "1", `{{ index $a "${FAILURE_ANNOTATION}" | Quote }}`),
  );

/** The kwok binary built by test/k8s/build-binaries.sh. */
function kwokBinary(): string {
  const root = join(homedir(), ".cache/kli8nt/k8s");
  const dir = readdirSync(root)
    .map((v) => join(root, v))
    .find((d) => existsSync(join(d, "kwok")));
  if (!dir) throw new Error(`no kwok binary under ${root}: run test/k8s/build-binaries.sh`);
  return join(dir, "kwok");
}

/**
 * The shared cluster's stages (test/k8s/kwok/stages.yaml) except pod-complete: on this node, Job pods
 * finish only as the annotations say.
 */
function defaultStages(): string {
  const file = fileURLToPath(new URL("./kwok/stages.yaml", import.meta.url));
  return readFileSync(file, "utf8")
    .split(/^---\n/m)
    .filter((doc) => /^kind: Stage$/m.test(doc) && !/^ {2}name: pod-complete$/m.test(doc))
    .map((doc) => `---\n${doc}`)
    .join("");
}

export interface KwokNode {
  readonly name: string;
  readonly nodeSelector: Record<string, string>;
  readonly tolerations: V1Toleration[];
  stop(): Promise<void>;
}

export interface KwokNodeOptions {
  readonly id: string;
  /** Extra kwok documents (Logs, ClusterLogs). */
  readonly extraConfig?: string;
}

function kwokConfig(options: KwokNodeOptions): string {
  return `kind: KwokConfiguration
apiVersion: config.kwok.x-k8s.io/v1alpha1
options:
  podPlayStageParallelism: 4
  nodePlayStageParallelism: 4
  nodeLeaseParallelism: 4
  nodeLeaseDurationSeconds: 40
  podsOnNodeSyncParallelism: 1
  enablePodsOnNodeSyncListPager: true
  enableDebuggingHandlers: true
  enableProfilingHandler: false
  cidr: 10.1.0.0/16
${defaultStages()}${STAGES}${options.extraConfig ?? ""}`;
}

/** Starts kwok for one new tainted node and waits until the node is Ready. */
export async function startKwokNode(
  kc: KubeConfig,
  kubeconfigPath: string,
  options: KwokNodeOptions,
): Promise<KwokNode> {
  const kwok = kwokBinary();
  const pki = dirname(kubeconfigPath);
  const name = `kwok-${options.id}`;
  const configPath = join(pki, `kwok-${options.id}.yaml`);
  writeFileSync(configPath, kwokConfig(options));
  const port = await freePort();
  const child: ChildProcess = spawn(
    kwok,
    [
      "--kubeconfig",
      kubeconfigPath,
      "--config",
      configPath,
      "--manage-nodes-with-annotation-selector",
      `kwok.x-k8s.io/node=${options.id}`,
      "--node-ip",
      "127.0.0.1",
      "--node-port",
      String(port),
      "--server-address",
      `127.0.0.1:${port}`,
      "--tls-cert-file",
      join(pki, "server.crt"),
      "--tls-private-key-file",
      join(pki, "server.key"),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNode({
    body: {
      metadata: {
        name,
        annotations: { "node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": options.id },
        labels: { "kubernetes.io/hostname": name, type: "kwok", [TEST_NODE_LABEL]: options.id },
      },
      spec: { taints: [{ key: TEST_NODE_LABEL, value: options.id, effect: "NoSchedule" }] },
      status: {
        allocatable: { cpu: "32", memory: "256Gi", pods: "110" },
        capacity: { cpu: "32", memory: "256Gi", pods: "110" },
      },
    },
  });
  const stop = async () => {
    child.kill();
    await core.deleteNode({ name }).catch(() => undefined);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const node = await core.readNode({ name });
    if (node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`kwok node ${name} did not become Ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    name,
    nodeSelector: { [TEST_NODE_LABEL]: options.id },
    tolerations: [{ key: TEST_NODE_LABEL, operator: "Equal", value: options.id, effect: "NoSchedule" }],
    stop,
  };
}
