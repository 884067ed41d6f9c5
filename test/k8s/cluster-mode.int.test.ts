import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  eventually,
  type FakeGitHub,
  failUnderCi,
  freePort,
  signInOverHttp,
  startFakeGitHub,
} from "@kli8nt/testkit";
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IMAGE_ANNOTATION,
  type KwokNode,
  OUTCOME_ANNOTATION,
  PREPARE_MESSAGE_ANNOTATION,
  startKwokNode,
} from "./build-kwok-node.ts";
import { createDatabase, createVhost, type Deployable, startDeployable } from "./cluster-processes.ts";
import { blockReadiness } from "./deploy-controller-cluster.ts";

// Cluster mode end to end: the api, the Kaniko build controller, the Kubernetes deploy controller and
// the log controller, each its own process started from its main.ts, connected only by PostgreSQL,
// RabbitMQ (a vhost of this suite), Kafka and the test API server. The test stands in for Kaniko only:
// build pods run on a kwok node of this suite, finished when the test annotates them with the digest
// (as build-kaniko-job.int.test.ts does), and that node serves a build log that prints the app's secret.
const env = {
  kubeconfig: process.env.KLI8NT_TEST_KUBECONFIG,
  database: process.env.KLI8NT_TEST_DATABASE_URL,
  amqp: process.env.KLI8NT_TEST_AMQP_URL,
  rabbitmqctl: process.env.KLI8NT_TEST_RABBITMQCTL,
  kafka: process.env.KLI8NT_TEST_KAFKA_BROKERS,
};
const missing = Object.entries(env)
  .filter(([, v]) => !v)
  .map(([k]) => k);
failUnderCi(
  missing.length > 0,
  `cluster mode needs ${missing.join(", ")}: start_kubernetes, start_postgres, start_rabbitmq and start_kafka (scripts/infra) did not run`,
);

const suffix = randomBytes(3).toString("hex");
const APP = `cm${suffix}`;
const SECRET = `s3cret-${randomBytes(6).toString("hex")}`;
const REGISTRY = "registry.test.invalid/kli8nt";
const KANIKO = `ghcr.io/osscontainertools/kaniko@sha256:${"cd".repeat(32)}`;
const TOKEN = randomBytes(24).toString("hex");
// The build controller's token for the api's internal call (ADR 0118).
const INTERNAL_TOKEN = randomBytes(24).toString("hex");
const CLIENT = { id: "Ov23liClusterMode", secret: randomBytes(20).toString("hex") };
const PRIVATE_APP = `cmp${suffix}`;
const buildNamespace = `cm-builds-${suffix}`;
const prefix = `cm${suffix}-`;
const appNamespace = `${prefix}${APP}`;

interface DeploymentView {
  id: string;
  state: string;
  url: string | null;
  reason: string | null;
}

describe.skipIf(missing.length > 0)("cluster mode: api + three controllers as processes", () => {
  const kc = new KubeConfig();
  const procs = new Map<string, Deployable>();
  const cleanup: Array<() => Promise<unknown>> = [];
  let node: KwokNode;
  let gh: FakeGitHub;
  let apiUrl = "";
  let internalUrl = "";
  let deployEnv: Record<string, string> = {};

  type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>;
  const as =
    (auth: Record<string, string>): Call =>
    async <T>(method: string, path: string, body?: unknown) => {
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          ...auth,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
  const api = as({ authorization: `Bearer ${TOKEN}` });

  beforeAll(async () => {
    kc.loadFromFile(env.kubeconfig ?? "");
    const core = kc.makeApiClient(CoreV1Api);
    const dir = mkdtempSync(join(tmpdir(), "kli8nt-cluster-mode-"));
    const buildLog = join(dir, "build.log");
    writeFileSync(
      buildLog,
      `2026-03-01T10:00:01.000000000Z stdout F Step 1/2: FROM node:20\n` +
        `2026-03-01T10:00:02.000000000Z stdout F connecting with ${SECRET}\n`,
    );
    const database = await createDatabase(env.database ?? "", `kli8nt_cm_${suffix}`);
    cleanup.push(database.drop);
    const vhost = await createVhost(env.amqp ?? "", env.rabbitmqctl ?? "", `cm-${suffix}`);
    cleanup.push(vhost.drop);
    node = await startKwokNode(kc, env.kubeconfig ?? "", {
      id: `cm-${suffix}`,
      extraConfig: `---
kind: ClusterLogs
apiVersion: kwok.x-k8s.io/v1alpha1
metadata:
  name: cm-${suffix}
spec:
  selector:
    matchNamespaces: [${buildNamespace}]
  logs:
  - logsFile: ${buildLog}
    follow: false
`,
    });
    cleanup.push(() => node.stop());
    await core.createNamespace({ body: { metadata: { name: buildNamespace } } });
    cleanup.push(() => core.deleteNamespace({ name: buildNamespace }));
    cleanup.push(() => core.deleteNamespace({ name: appNamespace }).catch(() => undefined));
    cleanup.push(() => core.deleteNamespace({ name: `${prefix}${PRIVATE_APP}` }).catch(() => undefined));
    // The GitHub the api signs users in with and takes their tokens from (private repositories).
    gh = await startFakeGitHub();
    cleanup.push(() => gh.stop());
    const apiPort = await freePort();
    gh.addOAuthApp({
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      callbackUrl: `http://127.0.0.1:${apiPort}/auth/github/callback`,
    });

    const shared = {
      KLI8NT_LOG_LEVEL: "info",
      KLI8NT_DATABASE_URL: database.url,
      KLI8NT_SECRET_KEY: randomBytes(32).toString("base64"),
      KLI8NT_RABBITMQ_URL: vhost.url,
      KLI8NT_KAFKA_BROKERS: env.kafka ?? "",
      KLI8NT_KAFKA_TOPIC_PREFIX: `it-cm-${suffix}.`,
      KLI8NT_KUBECONFIG: env.kubeconfig ?? "",
    };
    // The api migrates the database; the controllers start once it is ready.
    const apiProc = start("api", {
      ...shared,
      KLI8NT_HOST: "127.0.0.1",
      KLI8NT_PORT: String(apiPort),
      KLI8NT_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
      KLI8NT_DATA_DIR: join(dir, "api"),
      KLI8NT_ADMIN_TOKEN: TOKEN,
      KLI8NT_INTERNAL_TOKEN: INTERNAL_TOKEN,
      // As the chart runs it: the build controller's routes on a port of their own (ADR 0124).
      KLI8NT_INTERNAL_PORT: "0",
      KLI8NT_GITHUB_URL: gh.url,
      KLI8NT_GITHUB_API_URL: gh.apiUrl,
      KLI8NT_GITHUB_CLIENT_ID: CLIENT.id,
      KLI8NT_GITHUB_CLIENT_SECRET: CLIENT.secret,
      KLI8NT_APP_URL_TEMPLATE: "https://{app}.apps.test.invalid",
    });
    const listening = await apiProc.logged("Kli8nt api listening");
    apiUrl = String(listening.url);
    internalUrl = String(listening.internalUrl);
    start("build-controller", {
      ...shared,
      KLI8NT_BUILD_NAMESPACE: buildNamespace,
      KLI8NT_REGISTRY: REGISTRY,
      KLI8NT_KANIKO_IMAGE: KANIKO,
      KLI8NT_PREPARE_IMAGE: `${REGISTRY}/kli8nt:test`,
      KLI8NT_BUILD_NODE_SELECTOR: JSON.stringify(node.nodeSelector),
      KLI8NT_BUILD_TOLERATIONS: JSON.stringify(node.tolerations),
      KLI8NT_API_URL: internalUrl,
      KLI8NT_INTERNAL_TOKEN: INTERNAL_TOKEN,
    });
    deployEnv = {
      ...shared,
      KLI8NT_APPS_DOMAIN: "apps.test.invalid",
      KLI8NT_K8S_NAMESPACE_PREFIX: prefix,
      // Long enough for the kill -9 and restart below: the held rollout must pause, not fail.
      KLI8NT_PROGRESS_DEADLINE_SECONDS: "120",
    };
    start("deploy-controller", deployEnv);
    start("log-controller", {
      ...shared,
      KLI8NT_LOG_POD_SELECTOR: `kli8nt.io/app=${APP}`,
      KLI8NT_SECRET_CACHE_SECONDS: "5",
    });
    await Promise.all([
      procs.get("build-controller")?.logged("Started build controller"),
      procs.get("deploy-controller")?.logged("Started deploy controller"),
      procs.get("log-controller")?.logged("Started log controller"),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...procs.values()].map((p) => p.stop()));
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  }, 60_000);

  function start(name: Parameters<typeof startDeployable>[0], vars: Record<string, string>): Deployable {
    const proc = startDeployable(name, vars);
    procs.set(name, proc);
    return proc;
  }

  /** Plays Kaniko: finishes the build pod of this deployment with an image digest. */
  async function finishBuild(deploymentId: string, app = APP): Promise<string> {
    const batch = kc.makeApiClient(BatchV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const job = await eventually(`build Job of ${deploymentId}`, async () => {
      const jobs = await batch.listNamespacedJob({
        namespace: buildNamespace,
        labelSelector: `kli8nt.io/deployment=${deploymentId}`,
      });
      return jobs.items[0];
    });
    const pod = await eventually("running build pod", async () => {
      const pods = await core.listNamespacedPod({
        namespace: buildNamespace,
        labelSelector: `job-name=${job.metadata?.name}`,
      });
      return pods.items.find((p) => p.status?.phase === "Running");
    });
    // The log controller reads the build log while the pod runs (it is deleted once finished).
    if (app === APP)
      await eventually(
        "build log in the api",
        async () => {
          const logs = await api<{ records: Array<{ line: string; deploymentId: string }> }>(
            "GET",
            `/api/apps/${APP}/logs?phase=build&deployment=${deploymentId}`,
          );
          return logs.records.some((r) => r.line.startsWith("connecting with")) ? true : undefined;
        },
        90_000,
      );
    const digest = `sha256:${randomBytes(32).toString("hex")}`;
    const image = `${REGISTRY}/${app}:${deploymentId.replace("_", "-")}@${digest}`;
    await core.patchNamespacedPod(
      {
        name: pod.metadata?.name ?? "",
        namespace: buildNamespace,
        body: {
          metadata: {
            annotations: {
              [OUTCOME_ANNOTATION]: "succeed",
              [IMAGE_ANNOTATION]: image,
              [PREPARE_MESSAGE_ANNOTATION]: JSON.stringify({ provider: "node", port: 8080, commitSha: null }),
            },
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    // The Deployment runs the pushed repository by digest, never the tag.
    return `${REGISTRY}/${app}@${digest}`;
  }

  /** Polls the deployment through the api, recording every state seen, until `until`. */
  async function follow(id: string, until: string, states: string[], call = api): Promise<DeploymentView> {
    return eventually(
      `deployment ${id} ${until}`,
      async () => {
        const view = await call<DeploymentView>("GET", `/api/deployments/${id}`);
        if (states.at(-1) !== view.state) states.push(view.state);
        if (view.state === "failed") throw new Error(`deployment failed: ${view.reason}`);
        return view.state === until ? view : undefined;
      },
      120_000,
    );
  }

  it("deploys through the HTTP API: queued → live on the cluster, logs from Kafka, secret masked", async () => {
    await api("POST", "/api/apps", {
      name: APP,
      repository: { url: "https://github.com/acme/shop", branch: "main" },
    });
    await api("PUT", `/api/apps/${APP}/env`, {
      vars: [
        { key: "DB_PASSWORD", value: SECRET, secret: true },
        { key: "GREETING", value: "hello", secret: false },
      ],
    });
    const started = Date.now();
    const created = await api<DeploymentView>("POST", `/api/apps/${APP}/deployments`);
    expect(created.state).toBe("queued");
    const states = [created.state];
    const image = await finishBuild(created.id);
    const live = await follow(created.id, "live", states);
    console.info(`cluster mode: queued → live in ${Date.now() - started} ms, states ${states.join(" → ")}`);
    expect(states[0]).toBe("queued");
    expect(live.url).toBe(`https://${APP}.apps.test.invalid`);

    const apps = kc.makeApiClient(AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({ name: APP, namespace: appNamespace });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(image);
    const services = await kc.makeApiClient(CoreV1Api).listNamespacedService({ namespace: appNamespace });
    const ingresses = await kc
      .makeApiClient(NetworkingV1Api)
      .listNamespacedIngress({ namespace: appNamespace });
    expect(services.items).toHaveLength(1);
    expect(ingresses.items.map((i) => i.spec?.rules?.[0]?.host)).toEqual([`${APP}.apps.test.invalid`]);

    // Run pods print kwok's fake log (scripts/infra/kubernetes.sh); the api serves them from Kafka.
    const run = await eventually(
      "run log lines in the api",
      async () => {
        const logs = await api<{ records: Array<{ line: string; source: string }> }>(
          "GET",
          `/api/apps/${APP}/logs?phase=run&deployment=${created.id}`,
        );
        return logs.records.some((r) => r.line === "fake container log line 2") ? logs.records : undefined;
      },
      90_000,
    );
    expect(run.map((r) => r.line)).toContain("fake container log line 1");
    const all = await api<{ records: Array<{ line: string }> }>("GET", `/api/apps/${APP}/logs?limit=10000`);
    expect(all.records.map((r) => r.line)).toContain("connecting with ****");
    expect(JSON.stringify(all)).not.toContain(SECRET);
  }, 300_000);

  it("survives kill -9 of the deploy controller mid-rollout: the restarted process converges, nothing twice", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    // Every pod of this app (its images name it) stays unready while held: the rollout cannot finish.
    const hold = await blockReadiness(kc, APP);
    let held = true;
    let image = "";
    try {
      const v2 = await api<DeploymentView>("POST", `/api/apps/${APP}/deployments`);
      image = await finishBuild(v2.id);
      await eventually("v2 pod stuck Pending", async () => {
        const pods = await core.listNamespacedPod({
          namespace: appNamespace,
          labelSelector: `kli8nt.io/deployment=${v2.id}`,
        });
        return pods.items.some((p) => p.status?.phase === "Pending") ? true : undefined;
      });
      await procs.get("deploy-controller")?.kill9();
      expect((await api<DeploymentView>("GET", `/api/deployments/${v2.id}`)).state).toBe("deploying");

      // The "node" recovers: the hold goes and the stuck pods are replaced (kwok does not retry them).
      await hold.release();
      held = false;
      await core.deleteCollectionNamespacedPod({
        namespace: appNamespace,
        labelSelector: `kli8nt.io/deployment=${v2.id}`,
        gracePeriodSeconds: 0,
      });
      const restarted = Date.now();
      // A resync every 2 s: it must keep the release as deployed (its port came from the build).
      const second = start("deploy-controller", { ...deployEnv, KLI8NT_RESYNC_SECONDS: "2" });
      await second.logged("Started deploy controller");
      // RabbitMQ gave the unacknowledged DEPLOY back when the killed process's connection dropped.
      const live = await follow(v2.id, "live", []);
      console.info(`cluster mode: restarted deploy controller converged in ${Date.now() - restarted} ms`);
      expect(live.url).toBe(`https://${APP}.apps.test.invalid`);
    } finally {
      if (held) await hold.release();
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const deployments = await apps.listNamespacedDeployment({ namespace: appNamespace });
    expect(deployments.items.map((d) => d.spec?.template.spec?.containers[0]?.image)).toEqual([image]);
    // The resyncs re-applied the release with the port the build reported, not a default.
    expect(deployments.items[0]?.spec?.template.spec?.containers[0]?.ports?.[0]?.containerPort).toBe(8080);
    const services = await core.listNamespacedService({ namespace: appNamespace });
    const ingresses = await kc
      .makeApiClient(NetworkingV1Api)
      .listNamespacedIngress({ namespace: appNamespace });
    expect([services.items.length, ingresses.items.length]).toEqual([1, 1]);
    const history = await api<{ items: DeploymentView[] }>("GET", `/api/apps/${APP}/deployments`);
    expect(history.items.map((d) => d.state)).toEqual(["live", "superseded"]);
  }, 300_000);

  it("serves the build controller's route on the internal port only, never on the public one", async () => {
    const ask = (base: string) =>
      fetch(`${base}/internal/v1/builds/no-such-deployment/source`, {
        method: "POST",
        headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
      });
    const outside = await ask(apiUrl);
    const inside = await ask(internalUrl);
    expect(internalUrl).not.toBe(apiUrl);
    // The public port (the one an Ingress routes) has no such route, even with the right token.
    expect([outside.status, inside.status]).toEqual([404, 404]);
    expect(((await outside.json()) as { code?: string }).code).not.toBe("DEPLOYMENT_NOT_FOUND");
    expect(((await inside.json()) as { code?: string }).code).toBe("DEPLOYMENT_NOT_FOUND");
  });

  it("builds a PRIVATE repository: the owner's token only in the per-build Secret, gone after teardown", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    gh.addUser({ login: "alice" });
    await gh.addRepo({ owner: "alice", name: "private-shop", private: true, files: { "index.js": "" } });
    const { session, userId } = await signInOverHttp(apiUrl, gh, "alice");
    const alice = as({ cookie: `kli8nt_session=${session}`, origin: apiUrl });
    await alice("POST", "/api/apps", {
      name: PRIVATE_APP,
      repository: { url: `${gh.url}/alice/private-shop`, branch: "main" },
      port: 9090,
    });
    const created = await alice<DeploymentView>("POST", `/api/apps/${PRIVATE_APP}/deployments`);
    const job = await eventually(`build Job of ${created.id}`, async () => {
      const jobs = await batch.listNamespacedJob({
        namespace: buildNamespace,
        labelSelector: `kli8nt.io/deployment=${created.id}`,
      });
      return jobs.items[0];
    });
    // The owner came from the api (the per-user limit counts alice's builds), not from the bus.
    expect(job.metadata?.labels?.["kli8nt.io/owner"]).toBe(userId);
    const secretName = job.spec?.template.spec?.volumes?.find((v) => v.name === "git-token")?.secret
      ?.secretName;
    const secret = await eventually("token Secret", () =>
      core.readNamespacedSecret({ name: secretName ?? "", namespace: buildNamespace }),
    );
    const token = Buffer.from(secret.data?.token ?? "", "base64").toString();
    // It is alice's GitHub token: the fake GitHub says whose it is.
    const whoami = await fetch(`${gh.apiUrl}/user`, { headers: { authorization: `token ${token}` } });
    expect(((await whoami.json()) as { login: string }).login).toBe("alice");
    // Not in the Job: no env, args, annotations or labels carry it; only the Secret's volume names it.
    const stored = await batch.readNamespacedJob({
      name: job.metadata?.name ?? "",
      namespace: buildNamespace,
    });
    expect(JSON.stringify(stored)).not.toContain(token);
    const pods = await core.listNamespacedPod({
      namespace: buildNamespace,
      labelSelector: `job-name=${job.metadata?.name}`,
    });
    expect(JSON.stringify(pods.items)).not.toContain(token);

    await finishBuild(created.id, PRIVATE_APP);
    const live = await follow(created.id, "live", [], alice);
    expect(live.url).toBe(`https://${PRIVATE_APP}.apps.test.invalid`);
    // The app's port override reached DEPLOY from the same answer (the build reported 8080).
    const deployment = await kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: PRIVATE_APP, namespace: `${prefix}${PRIVATE_APP}` });
    expect(deployment.spec?.template.spec?.containers[0]?.ports?.[0]?.containerPort).toBe(9090);
    await eventually("token Secret deleted at teardown", async () => {
      const left = await core.listNamespacedSecret({
        namespace: buildNamespace,
        labelSelector: `kli8nt.io/deployment=${created.id}`,
      });
      return left.items.length === 0 ? true : undefined;
    });
    // No process logged the token (pino would not redact a response body: nothing may log it).
    for (const proc of procs.values()) {
      expect(JSON.stringify(proc.lines), proc.name).not.toContain(token);
    }
  }, 300_000);
});
