import { randomBytes } from "node:crypto";
import { MemoryBus } from "@kli8nt/bus";
import {
  createApp,
  createDeployment,
  createDomain,
  createUser,
  type Database,
  deleteAppDomain,
  listDomains,
  openTestDatabase,
  SecretBox,
  schema,
} from "@kli8nt/db";
import { customDomainName, resolveSettings } from "@kli8nt/manifests";
import { failUnderCi } from "@kli8nt/testkit";
import { CoreV1Api, KubeConfig, NetworkingV1Api } from "@kubernetes/client-node";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureAcmeCrds, ensureCertificateCrd } from "../../../../test/k8s/cert-manager-crds.ts";
import { AppDomains } from "./app-domains.ts";
import { AppReconcileQueue } from "./app-reconcile-queue.ts";
import { makeKubeApi } from "./kube-api.ts";
import { KubernetesDeployer } from "./kubernetes-deployer.ts";
import { startKubernetesDeployController } from "./start-kubernetes-deploy-controller.ts";

// The per-app domain runs (ADR 0224) on the test cluster and a real database: the end of the per-app
// reconcile (ADR 0209) an AppChanged message or a deploy gone live enqueues. The objects' own behaviour is
// sync-domains.int.test.ts's.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
const missing = failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

describe.skipIf(missing)("custom domains per app: an enqueued app converges at once", () => {
  const kc = new KubeConfig();
  const prefix = `kad${randomBytes(3).toString("hex")}-`;
  const input = {
    appsDomain: "apps.test.invalid",
    namespacePrefix: prefix,
    certificateIssuer: { kind: "Issuer", name: "letsencrypt" },
  } as const;
  const settings = resolveSettings(input);
  const namespace = `${prefix}shop`;
  const warnings: unknown[] = [];
  let database: Database;
  let domains: AppReconcileQueue;
  let app: { id: string; name: string };

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    await ensureCertificateCrd(kc);
    await ensureAcmeCrds(kc);
    database = await openTestDatabase("pglite");
    const { db } = database;
    const owner = await createUser(db, { login: "app-domains" });
    const created = await createApp(db, owner.id, {
      name: "shop",
      repository: { url: "https://github.com/acme/shop", branch: "main", rootDir: "." },
      port: null,
    });
    app = { id: created.id, name: created.name };
    // A live release (no Procfile: web only), as the deploy handler leaves it.
    const image = `registry.test.invalid/apps/shop@sha256:${randomBytes(32).toString("hex")}`;
    const deployment = await createDeployment(db, created, { trigger: "api" });
    await db
      .update(schema.deployments)
      .set({ state: "live", image, port: 3000 })
      .where(eq(schema.deployments.id, deployment.id));
    const deployer = new KubernetesDeployer(makeKubeApi(kc), { settings, pollMs: 200 });
    await deployer.apply({
      app,
      release: {
        deploymentId: deployment.id,
        image,
        port: 3000,
        processes: [{ type: "web", command: null, count: 1, memory: "256Mi", cpu: "0.25" }],
      },
      env: {},
    });
    const logger = { warn: (...args: unknown[]) => warnings.push(args) };
    domains = new AppReconcileQueue({
      db,
      box: new SecretBox(randomBytes(32)),
      deployer,
      domains: new AppDomains({ db, deployer, logger }),
      logger,
      // No deploys here: the app's run always takes its turn.
      exclusive: async (_app, task) => {
        await task();
        return true;
      },
      claimed: () => undefined,
    });
  }, 120_000);

  afterAll(async () => {
    await domains?.stop();
    await database?.close();
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
  });

  const ingress = (host: string) =>
    kc.makeApiClient(NetworkingV1Api).readNamespacedIngress({ name: customDomainName(app, host), namespace });

  it("applies a new domain's objects, prunes a removed one's, and leaves unknown apps alone", async () => {
    const host = "www.shop.example.com";
    await createDomain(database.db, app.id, host, false);
    const started = performance.now();
    domains.enqueue("shop");
    await domains.drained();
    const ms = Math.round(performance.now() - started);
    expect((await ingress(host)).spec?.rules?.[0]?.host).toBe(host);
    // Measured for ADR 0224: enqueue → the domain's Ingress and Certificate stored.
    process.stdout.write(`per-app domain run: Ingress stored ${ms} ms after enqueue\n`);
    expect(await listDomains(database.db, app.id)).toMatchObject([{ hostname: host, status: "pending" }]);

    await deleteAppDomain(database.db, app.id, host);
    domains.enqueue("shop");
    await domains.drained();
    await expect(ingress(host)).rejects.toMatchObject({ code: 404 });

    // An app deleted meanwhile (its namespace is the resync's to remove): nothing to do, nothing fails.
    domains.enqueue("gone");
    await domains.drained();
    expect(warnings).toEqual([]);
  }, 60_000);

  it("the controller consumes AppChanged: a domain added through the api is routed before any resync", async () => {
    const bus = new MemoryBus();
    const logger = { info: () => undefined, warn: (...args: unknown[]) => warnings.push(args) };
    // resyncMs 0: only the start-up pass runs, so what follows is the message's doing.
    const controller = await startKubernetesDeployController({
      bus,
      db: database.db,
      box: new SecretBox(randomBytes(32)),
      kubeconfig: kc,
      settings: input,
      logger,
      resyncMs: 0,
    });
    try {
      const host = "api.shop.example.com";
      await createDomain(database.db, app.id, host, false);
      const started = performance.now();
      await bus.publish("APP", {
        id: `m-${randomBytes(4).toString("hex")}`,
        type: "AppChanged.v1",
        body: {
          type: "AppChanged",
          version: 1,
          appId: app.id,
          appName: "shop",
          what: "domains",
          at: new Date().toISOString(),
        },
      });
      let found = await ingress(host).catch(() => null);
      while (!found && performance.now() - started < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        found = await ingress(host).catch(() => null);
      }
      const ms = Math.round(performance.now() - started);
      expect(found?.spec?.rules?.[0]?.host).toBe(host);
      process.stdout.write(`AppChanged published → domain Ingress readable: ${ms} ms\n`);
      expect(warnings).toEqual([]);
    } finally {
      await controller.stop();
    }
  }, 60_000);
});
