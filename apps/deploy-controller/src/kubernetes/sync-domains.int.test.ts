import { randomBytes } from "node:crypto";
import { createApp, createDomain, createUser, listDomains, openTestDatabase } from "@kli8nt/db";
import { customDomainName, resolveSettings } from "@kli8nt/manifests";
import { failUnderCi } from "@kli8nt/testkit";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureAcmeCrds,
  ensureCertificateCrd,
  writeFailingChallenge,
} from "../../../../test/k8s/cert-manager-crds.ts";
import { convergeDomains } from "./domain-rows.ts";
import { makeKubeApi } from "./kube-api.ts";
import { KubernetesDeployer } from "./kubernetes-deployer.ts";
import { type DomainApp, type DomainRow, syncAppDomains, syncDomains } from "./sync-domains.ts";

// Custom domains on the test cluster of scripts/infra/kubernetes.sh with cert-manager's real Certificate
// CRD. No cert-manager controller runs here, so the test writes the Certificate status cert-manager would
// (Ready, or Issuing=False/Failed with the ACME reason) through the status subresource; issuing for real is
// test/k8s/real-certs.int.test.ts with Pebble.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
const missing = failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

const image = () => `registry.test.invalid/apps/shop@sha256:${randomBytes(32).toString("hex")}`;

describe.skipIf(missing)("custom domains on Kubernetes: objects, status, removal", () => {
  const kc = new KubeConfig();
  const prefix = `kdm${randomBytes(3).toString("hex")}-`;
  const settings = resolveSettings({
    appsDomain: "apps.test.invalid",
    namespacePrefix: prefix,
    certificateIssuer: { kind: "Issuer", name: "letsencrypt" },
  });
  const app = { id: "app_dm", name: "shop" };
  const namespace = `${prefix}shop`;
  let deployer: KubernetesDeployer;

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    await ensureCertificateCrd(kc);
    await ensureAcmeCrds(kc);
    deployer = new KubernetesDeployer(makeKubeApi(kc), { settings, pollMs: 200 });
    await deployer.apply({
      app,
      release: {
        deploymentId: "dep_dm_1",
        image: image(),
        port: 3000,
        processes: [{ type: "web", command: null, count: 1, memory: "256Mi", cpu: "0.25" }],
      },
      env: {},
    });
  }, 120_000);

  afterAll(async () => {
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
  });

  const row = (hostname: string, state: Partial<DomainRow> = {}): DomainRow => ({
    appId: app.id,
    hostname,
    status: "pending",
    detail: null,
    notAfter: null,
    ...state,
  });
  const sync = (rows: DomainRow[]) =>
    syncDomains(deployer.api, settings, [{ app, domains: rows } satisfies DomainApp]);
  const ingress = (host: string) =>
    kc.makeApiClient(NetworkingV1Api).readNamespacedIngress({ name: customDomainName(app, host), namespace });
  const setCertificateStatus = (host: string, status: object) =>
    kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
      {
        group: "cert-manager.io",
        version: "v1",
        namespace,
        plural: "certificates",
        name: customDomainName(app, host),
        body: { status },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );

  it("applies pending domains over HTTP, turns active with TLS on Ready, error with the reason, and prunes", async () => {
    const www = "www.shop.example.com";
    const bad = "bad.shop.example.com";
    // New rows are pending already: objects appear, nothing to write back.
    expect(await sync([row(www), row(bad)])).toEqual([]);
    expect((await ingress(www)).spec?.tls).toBeUndefined();
    expect((await ingress(bad)).spec?.rules?.[0]?.host).toBe(bad);

    await setCertificateStatus(www, {
      conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "Certificate is up to date" }],
      notAfter: "2027-03-04T20:00:00Z",
    });
    const reason =
      'order is in "invalid" state: 403 urn:ietf:params:acme:error:unauthorized: Invalid response';
    await setCertificateStatus(bad, {
      conditions: [
        { type: "Ready", status: "False", reason: "DoesNotExist", message: "Issuing certificate" },
        { type: "Issuing", status: "False", reason: "Failed", message: `failed to complete: ${reason}` },
      ],
    });
    const second = await sync([row(www), row(bad)]);
    expect(second).toEqual([
      {
        appId: app.id,
        hostname: www,
        status: "active",
        detail: null,
        notAfter: new Date("2027-03-04T20:00:00Z"),
      },
      {
        appId: app.id,
        hostname: bad,
        status: "error",
        detail: `failed to complete: ${reason}`,
        notAfter: null,
      },
    ]);
    // Level-triggered: rows that say what the cluster says get no update.
    expect(await sync(second.map((u) => row(u.hostname, u)))).toEqual([]);
    const served = await ingress(www);
    expect(served.spec?.tls).toEqual([{ hosts: [www], secretName: `${customDomainName(app, www)}-tls` }]);
    expect(served.metadata?.annotations?.["nginx.ingress.kubernetes.io/ssl-redirect"]).toBe("true");
    // The app's own Ingress is untouched by either domain.
    const own = await kc.makeApiClient(NetworkingV1Api).readNamespacedIngress({ name: "shop", namespace });
    expect(own.spec?.rules?.map((r) => r.host)).toEqual(["shop.apps.test.invalid"]);

    // The row of `bad` is deleted: its Ingress and Certificate go; `www` stays.
    await sync([row(www, second[0])]);
    await expect(ingress(bad)).rejects.toMatchObject({ code: 404 });
    const certs = await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: "cert-manager.io",
      version: "v1",
      namespace,
      plural: "certificates",
    });
    const names = (certs as { items: Array<{ metadata: { name: string } }> }).items.map(
      (c) => c.metadata.name,
    );
    expect(names).toEqual([customDomainName(app, www)]);
  }, 60_000);

  it("converges the domains table: rows of apps serving web become objects, their status goes back", async () => {
    const database = await openTestDatabase("pglite");
    try {
      const { db } = database;
      const owner = await createUser(db, { login: "domain-owner" });
      const row = await createApp(db, owner.id, {
        name: "shop",
        repository: { url: "https://github.com/acme/shop", branch: "main", rootDir: "." },
        port: null,
      });
      const other = await createApp(db, owner.id, {
        name: "idle",
        repository: { url: "https://github.com/acme/idle", branch: "main", rootDir: "." },
        port: null,
      });
      await createDomain(db, row.id, "db.shop.example.com", false);
      await createDomain(db, other.id, "idle.example.com", false);
      const live = {
        app: { id: row.id, name: "shop" },
        release: {
          deploymentId: "dep_dm_1",
          image: image(),
          port: 3000,
          processes: [{ type: "web", command: null, count: 1, memory: "256Mi", cpu: "0.25" }],
        },
        env: {},
      };
      const warnings: unknown[] = [];
      const logger = { warn: (...args: unknown[]) => warnings.push(args) };
      const desired = [
        { app: live.app, live, deploying: false },
        { app: { id: other.id, name: "idle" }, live: null, deploying: false },
      ];
      const host = "db.shop.example.com";
      // Pending rows stay as they are; their objects appear.
      expect(await convergeDomains(db, deployer, desired, logger)).toBe(0);
      expect((await ingress(host)).spec?.rules?.[0]?.host).toBe(host);
      await setCertificateStatus(host, {
        conditions: [{ type: "Ready", status: "True", reason: "Ready" }],
        notAfter: "2027-05-01T00:00:00Z",
      });
      expect(await convergeDomains(db, deployer, desired, logger)).toBe(1);
      expect(warnings).toEqual([]);
      const [shop] = await listDomains(db, row.id);
      expect(shop).toMatchObject({ status: "active", detail: null });
      expect(shop?.certNotAfter?.toISOString()).toBe("2027-05-01T00:00:00.000Z");
      // Again: nothing changed, nothing written.
      expect(await convergeDomains(db, deployer, desired, logger)).toBe(0);
      // An app that serves nothing yet gets no objects, and its row is left alone.
      const [idle] = await listDomains(db, other.id);
      expect(idle).toMatchObject({ status: "pending", detail: null });
    } finally {
      await database.close();
    }
  }, 60_000);

  const failChallenge = (host: string, revision: string, reason: string) =>
    writeFailingChallenge(kc, {
      namespace,
      certificate: customDomainName(app, host),
      host,
      revision,
      reason,
    });

  it("per app: a pending domain says why its challenge has not passed, and turns error after the grace", async () => {
    const host = "slow.shop.example.com";
    const one = (rows: DomainRow[], now?: Date) =>
      syncAppDomains(deployer.api, settings, { app, domains: rows }, now ? { now } : {});
    expect(await one([row(host)])).toEqual([]);
    expect((await ingress(host)).spec?.rules?.[0]?.host).toBe(host);
    // A stale Order of another revision with its own failing challenge is not read.
    await failChallenge(host, "7", "an old order's reason");
    expect(await one([row(host)])).toEqual([]);
    const reason =
      "Waiting for HTTP-01 challenge propagation: failed to perform self check GET request " +
      `'http://${host}/.well-known/acme-challenge/token': Get "http://${host}/.well-known/acme-challenge/token": ` +
      `dial tcp: lookup ${host} on 10.96.0.10:53: no such host`;
    await failChallenge(host, "1", reason);
    const pending = await one([row(host)]);
    expect(pending).toEqual([
      { appId: app.id, hostname: host, status: "pending", detail: reason, notAfter: null },
    ]);
    expect(await one([row(host, { detail: reason })])).toEqual([]);
    // Eleven minutes on, still failing: error, so domain.error is sent from the table.
    const later = new Date(Date.now() + 11 * 60_000);
    expect(await one([row(host, { detail: reason })], later)).toEqual([
      {
        appId: app.id,
        hostname: host,
        status: "error",
        detail: `the ACME challenge has not passed for over 10 minutes: ${reason}`,
        notAfter: null,
      },
    ]);
    // Issued meanwhile: active, whatever the challenge said.
    await setCertificateStatus(host, {
      conditions: [{ type: "Ready", status: "True", reason: "Ready" }],
      notAfter: "2027-06-01T00:00:00Z",
      revision: 1,
    });
    expect((await one([row(host)], later))[0]).toMatchObject({ status: "active", detail: null });
    // The row removed: the per-app run prunes the app's domain objects in its own namespace.
    await one([]);
    await expect(ingress(host)).rejects.toMatchObject({ code: 404 });
  }, 60_000);
});
