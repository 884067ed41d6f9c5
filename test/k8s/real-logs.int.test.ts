import { randomBytes } from "node:crypto";
import { createKafkaLogStore, type LogStore } from "@kli8nt/logstore";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { CoreV1Api, KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogController } from "../../apps/log-controller/src/index.ts";
import { realNodePlacement } from "./real-node.ts";

// The log controller following a real container: a pod of the real node (scripts/infra/node.sh) prints a
// line per request on stdout; containerd writes the CRI log, the kubelet serves it through pods/log, and
// the controller stores the app's own lines in Kafka (not kwok's fake ones).
const env = {
  kubeconfig: process.env.KLI8NT_TEST_KUBECONFIG,
  brokers: process.env.KLI8NT_TEST_KAFKA_BROKERS,
  node: process.env.KLI8NT_TEST_NODE_NAME,
  taint: process.env.KLI8NT_TEST_NODE_TAINT,
  image: process.env.KLI8NT_TEST_NODE_WEB_IMAGE,
};
const missing = Object.entries(env)
  .filter(([, v]) => !v)
  .map(([k]) => k);
failUnderCi(
  missing.length > 0,
  `the real-logs suite needs ${missing.join(", ")}: start_kubernetes, start_node and start_kafka (scripts/infra) did not run`,
);

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe.skipIf(missing.length > 0)("real logs: the log controller follows a real container's stdout", () => {
  const kc = new KubeConfig();
  const suffix = randomBytes(3).toString("hex");
  const namespace = `real-logs-${suffix}`;
  const appId = `app_${suffix}`;
  let core: CoreV1Api;
  let kafka: LogStore;

  beforeAll(async () => {
    kc.loadFromFile(env.kubeconfig ?? "");
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await eventually("default ServiceAccount", () =>
      core.readNamespacedServiceAccount({ name: "default", namespace }),
    );
    kafka = createKafkaLogStore({ brokers: [env.brokers ?? ""], topicPrefix: `it-reallogs-${suffix}.` });
  });

  afterAll(async () => {
    await core?.deleteNamespace({ name: namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
    await kafka?.close();
  });

  it("stores the app's own lines, in order, as they are printed", async () => {
    const pod: V1Pod = {
      metadata: {
        name: "web-1",
        labels: {
          "kli8nt.io/app": `hello-${suffix}`,
          "kli8nt.io/app-id": appId,
          "kli8nt.io/deployment": "dep_1",
          "kli8nt.io/phase": "run",
        },
      },
      spec: {
        ...realNodePlacement(env.taint ?? "", env.node ?? ""),
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: "web",
            image: env.image ?? "",
            env: [{ name: "VERSION", value: "v1" }],
            readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    };
    await core.createNamespacedPod({ namespace, body: pod });
    const ip = await eventually(
      "pod Ready",
      async () => {
        const p = await core.readNamespacedPod({ name: "web-1", namespace });
        const ready = p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
        return ready ? p.status?.podIP : undefined;
      },
      90_000,
    );
    const controller = new LogController({
      kc,
      store: kafka,
      logger: silent,
      retryDelayMs: 200,
      labelSelector: `kli8nt.io/app=hello-${suffix}`,
    });
    await controller.start();
    try {
      const paths = [1, 2, 3].map((i) => `/real-${i}-${randomBytes(3).toString("hex")}`);
      for (const path of paths) expect((await fetch(`http://${ip}:8080${path}`)).status).toBe(200);
      const want = paths.map((p) => `web v1 served GET ${p}`);
      const lines = await eventually(
        "the app's lines in Kafka",
        async () => {
          const records = (await kafka.read(appId, { limit: 1000 })).records.map((r) => r.line);
          return want.every((w) => records.includes(w)) ? records : undefined;
        },
        60_000,
      );
      expect(lines[0]).toBe("web v1 listening on :8080");
      expect(lines.filter((l) => l.startsWith("web v1 served GET /real-"))).toEqual(want);
      const first = (await kafka.read(appId, { limit: 1 })).records[0];
      expect(first).toMatchObject({ deploymentId: "dep_1", phase: "run", source: "web-1/web" });
    } finally {
      await controller.stop();
    }
  }, 150_000);
});
