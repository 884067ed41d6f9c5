import { randomBytes } from "node:crypto";
import { PassThrough } from "node:stream";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { CoreV1Api, KubeConfig, Log, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realNodePlacement } from "./real-node.ts";

// The real node of scripts/infra/node.sh (kubelet + containerd + CNI bridge): a pod pulled from the
// local test registry starts, its HTTP readiness probe is really executed, it answers on its pod IP, and
// pods/log follows the container's real stdout through the kubelet's serving endpoint.
const env = {
  kubeconfig: process.env.KLI8NT_TEST_KUBECONFIG,
  node: process.env.KLI8NT_TEST_NODE_NAME,
  taint: process.env.KLI8NT_TEST_NODE_TAINT,
  image: process.env.KLI8NT_TEST_NODE_WEB_IMAGE,
};
const missing = Object.entries(env)
  .filter(([, v]) => !v)
  .map(([k]) => k);
failUnderCi(
  missing.length > 0,
  `the real-node suite needs ${missing.join(", ")}: start_kubernetes and start_node (scripts/infra) did not run`,
);

describe.skipIf(missing.length > 0)("real node: kubelet, containerd and CNI", () => {
  const kc = new KubeConfig();
  const namespace = `real-node-${randomBytes(3).toString("hex")}`;
  let core: CoreV1Api;

  beforeAll(async () => {
    kc.loadFromFile(env.kubeconfig ?? "");
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // The namespace's default ServiceAccount must exist before a pod can be created in it.
    await eventually("default ServiceAccount", () =>
      core.readNamespacedServiceAccount({ name: "default", namespace }),
    );
  });

  afterAll(async () => {
    await core?.deleteNamespace({ name: namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  });

  function webPod(name: string, extraEnv: Record<string, string> = {}): V1Pod {
    return {
      metadata: { name, labels: { app: name } },
      spec: {
        ...realNodePlacement(env.taint ?? "", env.node ?? ""),
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: "web",
            image: env.image ?? "",
            env: Object.entries({ VERSION: name, ...extraEnv }).map(([k, v]) => ({ name: k, value: v })),
            ports: [{ containerPort: 8080 }],
            readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
            resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
          },
        ],
      },
    };
  }

  const ready = (pod: V1Pod) =>
    pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");

  it("runs a pod from the local registry: probe passes, it answers on its pod IP, the log follows stdout", async () => {
    const started = Date.now();
    await core.createNamespacedPod({ namespace, body: webPod("web") });
    const pod = await eventually(
      "pod web Ready",
      async () => {
        const p = await core.readNamespacedPod({ name: "web", namespace });
        return ready(p) ? p : undefined;
      },
      90_000,
    );
    console.info(`real node: pod Ready ${Date.now() - started} ms after create`);
    expect(pod.spec?.nodeName).toBe(env.node);
    expect(pod.status?.containerStatuses?.[0]?.imageID).toContain("sha256:");

    // Follow the log before the request, so the line must arrive through the open stream.
    const stream = new PassThrough();
    let text = "";
    stream.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    const follow = await new Log(kc).log(namespace, "web", "web", stream, { follow: true });
    try {
      const path = `/hello-${randomBytes(4).toString("hex")}`;
      const answer = await fetch(`http://${pod.status?.podIP}:8080${path}`);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe("kli8nt test web web\n");
      await eventually("request line in the followed log", async () =>
        text.includes(`web web served GET ${path}`) ? true : undefined,
      );
      expect(text).toContain("web web listening on :8080");
    } finally {
      follow.abort();
    }
  }, 120_000);

  it("executes the readiness probe: a pod whose /healthz fails runs but never becomes Ready", async () => {
    await core.createNamespacedPod({ namespace, body: webPod("unready", { READY: "false" }) });
    const events = await eventually(
      "a failed readiness probe event",
      async () => {
        const list = await core.listNamespacedEvent({
          namespace,
          fieldSelector: "involvedObject.name=unready",
        });
        return list.items.some((e) => e.reason === "Unhealthy") ? list.items : undefined;
      },
      90_000,
    );
    expect(events.find((e) => e.reason === "Unhealthy")?.message).toContain("Readiness probe failed");
    const pod = await core.readNamespacedPod({ name: "unready", namespace });
    expect(pod.status?.phase).toBe("Running");
    expect(ready(pod)).toBeFalsy();
  }, 120_000);
});
