import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { beforeAll, describe, expect, it } from "vitest";

// Smoke test of the test cluster itself (scripts/infra/kubernetes.sh): what later suites rely on.
// Plain HTTPS on purpose, so a broken Kubernetes client cannot hide a broken cluster (the manifests
// suite, packages/manifests/src/cluster.int.test.ts, exercises @kubernetes/client-node).
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

interface Cluster {
  readonly server: URL;
  readonly ca: Buffer;
  readonly token: string;
}

function readCluster(path: string): Cluster {
  const text = readFileSync(path, "utf8");
  const field = (name: string) => {
    const match = new RegExp(`${name}: (\\S+)`).exec(text);
    if (!match?.[1]) throw new Error(`kubeconfig ${path} has no ${name}`);
    return match[1];
  };
  return {
    server: new URL(field("server")),
    ca: Buffer.from(field("certificate-authority-data"), "base64"),
    token: field("token"),
  };
}

interface Reply {
  readonly status: number;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: raw API objects, read field by field in assertions
  readonly json: () => any;
}

function call(cluster: Cluster, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, cluster.server),
      {
        method,
        ca: cluster.ca,
        headers: { authorization: `Bearer ${cluster.token}`, "content-type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe.skipIf(!kubeconfigPath)("test Kubernetes cluster", () => {
  let cluster: Cluster;
  const ns = `smoke-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    cluster = readCluster(kubeconfigPath ?? "");
    const created = await call(cluster, "POST", "/api/v1/namespaces", { metadata: { name: ns } });
    expect(created.status).toBe(201);
  });

  it("is ready, versioned, and has Ready kwok nodes", async () => {
    expect((await call(cluster, "GET", "/readyz")).text).toBe("ok");
    expect((await call(cluster, "GET", "/version")).json().gitVersion).toMatch(/^v1\.\d+\.\d+/);
    const nodes = (await call(cluster, "GET", "/api/v1/nodes")).json().items;
    expect(nodes.length).toBeGreaterThanOrEqual(1);
    for (const node of nodes) {
      // biome-ignore lint/suspicious/noExplicitAny: raw API object
      expect(node.status.conditions.find((c: any) => c.type === "Ready")?.status).toBe("True");
    }
  }, 90_000);

  it("runs a Job to completion (scheduler + job controller + kwok stages) and serves its pod's log", async () => {
    const job = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "smoke" },
      spec: {
        template: {
          spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox", command: ["true"] }] },
        },
      },
    };
    // The namespace's default ServiceAccount is created asynchronously; until then pods are refused.
    await eventually("default ServiceAccount", async () =>
      (await call(cluster, "GET", `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200
        ? true
        : undefined,
    );
    expect((await call(cluster, "POST", `/apis/batch/v1/namespaces/${ns}/jobs`, job)).status).toBe(201);
    await eventually("Job complete", async () => {
      const status = (await call(cluster, "GET", `/apis/batch/v1/namespaces/${ns}/jobs/smoke`)).json().status;
      return status?.succeeded === 1 ? true : undefined;
    });
    const pods = (
      await call(cluster, "GET", `/api/v1/namespaces/${ns}/pods?labelSelector=job-name%3Dsmoke`)
    ).json();
    const pod = pods.items[0];
    expect(pod.status.phase).toBe("Succeeded");
    const log = await call(cluster, "GET", `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/log`);
    expect(log.status).toBe(200);
    expect(log.text).toContain("fake container log line 1");
  }, 90_000);

  it("keeps pods of a *never-ready* image Running but unready, so a Deployment never becomes Available", async () => {
    const labels = { app: "stuck" };
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "stuck" },
      spec: {
        replicas: 1,
        progressDeadlineSeconds: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "c", image: "registry.test.invalid/never-ready@sha256:00" }] },
        },
      },
    };
    expect(
      (await call(cluster, "POST", `/apis/apps/v1/namespaces/${ns}/deployments`, deployment)).status,
    ).toBe(201);
    // The progress deadline is the controller's verdict that the rollout is stuck.
    const progressing = await eventually("ProgressDeadlineExceeded", async () => {
      const status = (await call(cluster, "GET", `/apis/apps/v1/namespaces/${ns}/deployments/stuck`)).json()
        .status;
      // biome-ignore lint/suspicious/noExplicitAny: raw API object
      const condition = status?.conditions?.find((c: any) => c.type === "Progressing");
      return condition?.reason === "ProgressDeadlineExceeded" ? status : undefined;
    });
    expect(progressing.availableReplicas ?? 0).toBe(0);
    const pod = (await call(cluster, "GET", `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dstuck`)).json()
      .items[0];
    expect(pod.status.phase).toBe("Running");
    // biome-ignore lint/suspicious/noExplicitAny: raw API object
    expect(pod.status.conditions.find((c: any) => c.type === "Ready")?.status).toBe("False");
  }, 90_000);

  it("deletes a namespace with its pods", async () => {
    expect((await call(cluster, "DELETE", `/api/v1/namespaces/${ns}`)).status).toBe(200);
    const gone = await eventually("namespace gone", async () => {
      const status = (await call(cluster, "GET", `/api/v1/namespaces/${ns}`)).status;
      return status === 404 ? status : undefined;
    });
    expect(gone).toBe(404);
  }, 90_000);
});
