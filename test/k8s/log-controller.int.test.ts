import { randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
// Not exported by @kli8nt/logstore yet (its index exposes the file adapter only).
import { createKafkaLogStore, type LogStore, withSecretMasking } from "@kli8nt/logstore";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogController } from "../../apps/log-controller/src/index.ts";
import { type KwokNode, startKwokNode } from "./build-kwok-node.ts";

// The log controller against the real API server (pod informer, log endpoint proxied to kwok's kubelet
// server) and a real Kafka broker. kwok follows a file this test appends to, in the CRI log format.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
const brokers = process.env.KLI8NT_TEST_KAFKA_BROKERS;
failUnderCi(
  !kubeconfigPath || !brokers,
  "KLI8NT_TEST_KUBECONFIG or KLI8NT_TEST_KAFKA_BROKERS is not set: start_kubernetes and start_kafka did not run",
);

const SECRET = "pa55w0rd-of-the-app";
const print = (obj: object, msg: string) => console.error(msg, obj);
const silent = process.env.KLI8NT_TEST_DEBUG
  ? { info: print, warn: print, error: print }
  : { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A TCP pass-through to the API server that can be cut and restored: an API server outage, locally. */
class Outage {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    const address = server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    this.#server = server;
  }

  async down(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}

describe.skipIf(!kubeconfigPath || !brokers)("log controller: kwok pod logs into Kafka", () => {
  const kc = new KubeConfig();
  const suffix = randomBytes(3).toString("hex");
  const namespace = `logs-${suffix}`;
  const appId = `app_${suffix}`;
  const dir = mkdtempSync(join(tmpdir(), "kli8nt-logs-"));
  const logFile = join(dir, "app.log");
  let node: KwokNode;
  let core: CoreV1Api;
  let kafka: LogStore;
  let store: LogStore;
  let second = 0;
  let millis = 0;
  // CRI lines as a runtime writes them: time only moves forward, several lines may share a second.
  const cri = (line: string, sameSecond = false) => {
    if (sameSecond) millis += 111;
    else {
      second++;
      millis = 0;
    }
    const ts = `2026-03-01T10:00:${String(second).padStart(2, "0")}.${String(millis).padStart(3, "0")}000000Z`;
    return `${ts} stdout F ${line}\n`;
  };

  const createPod = (name: string, labels: Record<string, string> = {}) =>
    core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name,
          labels: {
            "kli8nt.io/app": `hello-${suffix}`,
            "kli8nt.io/app-id": appId,
            "kli8nt.io/deployment": "dep_1",
            "kli8nt.io/phase": "run",
            "test.kli8nt.io/run": suffix,
            ...labels,
          },
        },
        spec: {
          nodeSelector: node.nodeSelector,
          tolerations: node.tolerations,
          containers: [{ name: "web", image: `registry.test.invalid/hello@sha256:${"0".repeat(64)}` }],
        },
      },
    });

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    core = kc.makeApiClient(CoreV1Api);
    writeFileSync(
      logFile,
      cri("server starting") + cri(`connecting with ${SECRET}`) + cri("listening on 3000", true),
    );
    node = await startKwokNode(kc, kubeconfigPath ?? "", {
      id: `logs-${suffix}`,
      extraConfig: `---
kind: ClusterLogs
apiVersion: kwok.x-k8s.io/v1alpha1
metadata:
  name: logs-${suffix}
spec:
  selector:
    matchNamespaces: [${namespace}]
  logs:
  - containers: [web]
    logsFile: ${logFile}
    follow: true
`,
    });
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await eventually("default ServiceAccount", () =>
      core.readNamespacedServiceAccount({ name: "default", namespace }),
    );
    await createPod("web-1");
    kafka = createKafkaLogStore({ brokers: [brokers ?? ""], topicPrefix: `it-logctl-${suffix}.` });
    store = withSecretMasking(kafka, () => [SECRET]);
  });

  afterAll(async () => {
    // Pods go first and by force (grace 0 removes the object at once): a pod left on a vanished node
    // would stay Terminating and show up in every later informer.
    const pods = (await core?.listNamespacedPod({ namespace }).catch(() => undefined))?.items ?? [];
    for (const pod of pods) {
      await core
        .deleteNamespacedPod({ name: pod.metadata?.name ?? "", namespace, gracePeriodSeconds: 0 })
        .catch(() => undefined);
    }
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    await node?.stop();
    await kafka?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Only this test's pods: other suites' Kli8nt pods run in the same cluster at the same time.
  const labelSelector = `kli8nt.io/app,test.kli8nt.io/run=${suffix}`;
  const lines = async () => (await kafka.read(appId, { limit: 1000 })).records.map((r) => r.line);

  it("streams the pod's lines into the app's topic, masked, and resumes after a restart without loss or repeats", async () => {
    const first = new LogController({ kc, store, logger: silent, retryDelayMs: 200, labelSelector });
    await first.start();
    await eventually("three lines", async () => ((await lines()).length >= 3 ? true : undefined));
    appendFileSync(logFile, cri("GET / 200") + cri("GET /health 200", true));
    await eventually("five lines", async () => ((await lines()).length >= 5 ? true : undefined));
    await first.stop();

    // Written while no controller runs, in the same second as the last stored line (the resume boundary).
    appendFileSync(logFile, cri("GET /late 200", true) + cri("shutting down"));
    const second = new LogController({ kc, store, logger: silent, retryDelayMs: 200, labelSelector });
    await second.start();
    await eventually("seven lines", async () => ((await lines()).length >= 7 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1_500));
    await second.stop();

    expect(await lines()).toEqual([
      "server starting",
      "connecting with ****",
      "listening on 3000",
      "GET / 200",
      "GET /health 200",
      "GET /late 200",
      "shutting down",
    ]);
    const records = (await kafka.read(appId, { limit: 10 })).records;
    expect(records[0]).toMatchObject({ deploymentId: "dep_1", phase: "run", source: "web-1/web" });
  });

  it("survives an API server outage: the informer and the stream come back, nothing lost or repeated", async () => {
    const outage = new Outage(new URL(kc.getCurrentCluster()?.server ?? ""));
    await outage.up();
    const viaProxy = new KubeConfig();
    viaProxy.loadFromString(
      kc
        .exportConfig()
        .replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${outage.port}`),
    );
    const controller = new LogController({
      kc: viaProxy,
      store,
      logger: silent,
      retryDelayMs: 200,
      labelSelector,
    });
    await controller.start();
    appendFileSync(logFile, cri("before the outage"));
    await eventually("line before the outage", async () =>
      (await lines()).at(-1) === "before the outage" ? true : undefined,
    );
    await outage.down();
    appendFileSync(logFile, cri("during the outage") + cri("still during", true));
    await new Promise((r) => setTimeout(r, 1_500));
    await outage.up();
    appendFileSync(logFile, cri("after the outage"));
    await eventually("line after the outage", async () =>
      (await lines()).at(-1) === "after the outage" ? true : undefined,
    );
    const all = await lines();
    expect(new Set(all).size).toBe(all.length);
    expect(all.slice(all.indexOf("before the outage"))).toEqual([
      "before the outage",
      "during the outage",
      "still during",
      "after the outage",
    ]);
    // The informer is watching again: a pod created after the outage is followed too.
    const following = controller.following;
    await createPod("web-2");
    await eventually("new pod followed", async () => (controller.following > following ? true : undefined));
    await controller.stop();
    await outage.down();
  });

  it("stores a release Job pod's lines under phase release (its kli8nt.io/phase label)", async () => {
    const releaseApp = `${appId}_rel`;
    await createPod("release-1", {
      "kli8nt.io/app-id": releaseApp,
      "kli8nt.io/deployment": "dep_2",
      "kli8nt.io/phase": "release",
    });
    const controller = new LogController({ kc, store, logger: silent, retryDelayMs: 200, labelSelector });
    await controller.start();
    const records = await eventually("the release pod's lines", async () => {
      const r = (await kafka.read(releaseApp, { limit: 100 })).records;
      return r.length >= 3 ? r : undefined;
    });
    await controller.stop();
    expect(records[0]).toMatchObject({ line: "server starting", source: "release-1/web" });
    expect(records.every((r) => r.phase === "release" && r.deploymentId === "dep_2")).toBe(true);
  });

  it("stores a CronJob run's lines under phase cron (the label renderCronJob gives its pods, ADR 0206)", async () => {
    const cronApp = `${appId}_cron`;
    await createPod("shop-cron-nightly-29000000-x", {
      "kli8nt.io/app-id": cronApp,
      "kli8nt.io/deployment": "dep_3",
      "kli8nt.io/phase": "cron",
      "kli8nt.io/cron": "nightly",
    });
    const controller = new LogController({ kc, store, logger: silent, retryDelayMs: 200, labelSelector });
    await controller.start();
    const records = await eventually("the cron pod's lines", async () => {
      const r = (await kafka.read(cronApp, { limit: 100 })).records;
      return r.length >= 3 ? r : undefined;
    });
    await controller.stop();
    expect(records.every((r) => r.phase === "cron" && r.deploymentId === "dep_3")).toBe(true);
  });
});
