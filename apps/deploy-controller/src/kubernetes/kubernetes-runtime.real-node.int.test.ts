import { randomBytes } from "node:crypto";
import { resolveSettings } from "@kli8nt/manifests";
import { failUnderCi } from "@kli8nt/testkit";
import { KubeConfig } from "@kubernetes/client-node";
import { pushToTestRegistry, realNodePlacement } from "../../../../test/k8s/real-node.ts";
import { type RuntimeSubject, runRuntimeContract } from "../runtime-contract.ts";
import type { DesiredRelease } from "../runtime-port.ts";
import { makeKubeApi } from "./kube-api.ts";
import { KubernetesDeployer } from "./kubernetes-deployer.ts";
import { kubernetesRuntime } from "./kubernetes-runtime.ts";

// The Runtime port's contract on Kubernetes with real containers: every pod of the suite goes to the real
// node of scripts/infra/node.sh (ADR 0181), so web answers a real probe, the unready image never does, and
// the release Job really runs `sh -c` in a Debian image with the app's env, exiting 7.
const env = {
  kubeconfig: process.env.KLI8NT_TEST_KUBECONFIG,
  node: process.env.KLI8NT_TEST_NODE_NAME,
  taint: process.env.KLI8NT_TEST_NODE_TAINT,
  web: process.env.KLI8NT_TEST_NODE_WEB_IMAGE,
  unready: process.env.KLI8NT_TEST_NODE_UNREADY_IMAGE,
  registry: process.env.KLI8NT_TEST_REGISTRY,
};
const absent = Object.entries(env)
  .filter(([, v]) => !v)
  .map(([k]) => k);
const missing = failUnderCi(
  absent.length > 0,
  `the real-node runtime contract needs ${absent.join(", ")}: start_containers, start_registry, start_kubernetes and start_node (scripts/infra) did not run`,
);
const SHELL_IMAGE = "localhost/kli8nt/debian:bookworm";

function desired(appName: string, tag: string, image: string): DesiredRelease {
  return {
    deploymentId: `dep_${tag}_${randomBytes(4).toString("hex")}`,
    appId: `app_${appName}`,
    appName,
    image,
    // test/k8s/node/web listens on $PORT and answers every path.
    port: 8080,
    env: { VERSION: tag },
    processes: [{ type: "web", command: null, count: 1, memory: "64Mi", cpu: "100m" }],
    healthPath: "/healthz",
    restartedAt: null,
    stopped: false,
  };
}

async function realNodeSubject(): Promise<RuntimeSubject> {
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfig ?? "");
  const deployer = new KubernetesDeployer(makeKubeApi(kc), {
    settings: resolveSettings({
      appsDomain: "apps.test.invalid",
      namespacePrefix: `krn${randomBytes(3).toString("hex")}-`,
      progressDeadlineSeconds: 10,
      podPlacement: realNodePlacement(env.taint ?? "", env.node ?? ""),
    }),
    pollMs: 250,
    rolloutGraceMs: 10_000,
  });
  const shell = await pushToTestRegistry(env.registry ?? "", SHELL_IMAGE, "kli8nt-test/shell", "bookworm");
  return {
    runtime: kubernetesRuntime(deployer),
    release: async (app, tag) => desired(app, tag, env.web ?? ""),
    failing: async (app) => desired(app, "bad", env.unready ?? ""),
    oneOffImage: async () => shell,
    close: async () => undefined,
  };
}

if (!missing) runRuntimeContract("Kubernetes runtime on the real test node", realNodeSubject, 240_000);
