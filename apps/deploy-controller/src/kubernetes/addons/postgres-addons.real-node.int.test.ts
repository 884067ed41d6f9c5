import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  createAddon,
  createApp,
  createUser,
  deleteAddonRow,
  findAddon,
  openTestDatabase,
  SecretBox,
} from "@kli8nt/db";
import { postgresAddonNames, resolveSettings } from "@kli8nt/manifests";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  StorageV1Api,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushToTestRegistry, realNodePlacement } from "../../../../../test/k8s/real-node.ts";
import { makeKubeApi } from "../kube-api.ts";
import { KubernetesDeployer } from "../kubernetes-deployer.ts";
import type { DesiredApp } from "../reconcile-all.ts";
import { convergeAddons } from "./addon-rows.ts";
import { syncPostgresAddons } from "./postgres-addons.ts";

// The PostgreSQL add-on as the deploy controller makes it in cluster mode (issue 25, ADR 0226), on the test
// cluster of scripts/infra/kubernetes.sh: a row (no password in it) → Secret, Service, NetworkPolicy and
// StatefulSet applied in the app's namespace, the app's Deployment reading the Secret, and the pod RUNNING
// on the real node of scripts/infra/node.sh (ADR 0181) with the postgres stand-in image of pgimage.sh
// pushed to the test registry, answering a query over TCP with the Secret's password, then `ready`; the
// row removed → the objects deleted, the claim kept. The test cluster has no storage provisioner: the claim
// binds to a hostPath PersistentVolume of a StorageClass made by this test, a STAND-IN named as such.
const env = {
  kubeconfig: process.env.KLI8NT_TEST_KUBECONFIG,
  node: process.env.KLI8NT_TEST_NODE_NAME,
  taint: process.env.KLI8NT_TEST_NODE_TAINT,
  registry: process.env.KLI8NT_TEST_REGISTRY,
  postgresImage: process.env.KLI8NT_TEST_POSTGRES_IMAGE,
};
const absent = Object.entries(env)
  .filter(([, v]) => !v)
  .map(([k]) => k);
const missing = failUnderCi(
  absent.length > 0,
  `the cluster add-on suite needs ${absent.join(", ")}: start_pgimage, start_registry, start_kubernetes and start_node (scripts/infra) did not run`,
);
const run = promisify(execFile);

describe.skipIf(missing)("PostgreSQL add-ons applied by the deploy controller", () => {
  const kc = new KubeConfig();
  const suffix = randomBytes(3).toString("hex");
  const prefix = `kpg${suffix}-`;
  const settings = resolveSettings({ appsDomain: "apps.test.invalid", namespacePrefix: prefix });
  // A stand-in for a real provisioner's class: statically provisioned hostPath volumes on the real node.
  const storageClass = `kli8nt-test-hostpath-standin-${suffix}`;
  const volume = `kli8nt-test-pg-${suffix}`;
  const hostDir = join(tmpdir(), `kli8nt-pv-${suffix}`);
  const box = new SecretBox(randomBytes(32));
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let deployer: KubernetesDeployer;
  let desired: DesiredApp[];
  let image: string;

  beforeAll(async () => {
    kc.loadFromFile(env.kubeconfig ?? "");
    deployer = new KubernetesDeployer(makeKubeApi(kc), { settings, pollMs: 200 });
    db = await openTestDatabase("pglite");
    image = await pushToTestRegistry(
      env.registry ?? "",
      env.postgresImage ?? "",
      "kli8nt-test/postgres",
      "15",
    );
    // The official image's postgres user (999) owns the volume, as a provisioner with fsGroup would make it.
    await mkdir(hostDir, { recursive: true });
    await chown(hostDir, 999, 999);
    const storage = kc.makeApiClient(StorageV1Api);
    await storage.createStorageClass({
      body: {
        metadata: { name: storageClass, labels: { "kli8nt.io/test": "hostpath-standin" } },
        provisioner: "kubernetes.io/no-provisioner",
        volumeBindingMode: "WaitForFirstConsumer",
      },
    });
    await kc.makeApiClient(CoreV1Api).createPersistentVolume({
      body: {
        metadata: { name: volume },
        spec: {
          capacity: { storage: "1Gi" },
          accessModes: ["ReadWriteOnce"],
          storageClassName: storageClass,
          persistentVolumeReclaimPolicy: "Retain",
          hostPath: { path: hostDir, type: "Directory" },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: "kubernetes.io/hostname", operator: "In", values: [env.node ?? ""] },
                  ],
                },
              ],
            },
          },
        },
      },
    });
  }, 180_000);

  afterAll(async () => {
    const core = kc.makeApiClient(CoreV1Api);
    for (const d of desired ?? []) {
      await core.deleteNamespace({ name: deployer.namespaceOf(d.app.name) }).catch(() => undefined);
    }
    await core.deletePersistentVolume({ name: volume }).catch(() => undefined);
    await kc
      .makeApiClient(StorageV1Api)
      .deleteStorageClass({ name: storageClass })
      .catch(() => undefined);
    await db?.close();
    await rm(hostDir, { recursive: true, force: true }).catch(() => undefined);
  });

  it("runs the add-on's pod on the real node, answers a query, records ready, and removes it with its row", async () => {
    const user = await createUser(db.db, { login: `pg-${suffix}` });
    const app = await createApp(db.db, user.id, {
      name: "shop",
      repository: { url: "https://github.com/acme/shop", branch: "main", rootDir: "." },
      port: null,
    });
    const manifestApp = { id: app.id, name: app.name };
    desired = [{ app: manifestApp, live: null, deploying: false }];
    const addonSettings = {
      image,
      storage: "1Gi",
      storageClassName: storageClass,
      placement: realNodePlacement(env.taint ?? "", env.node ?? ""),
    };
    const row = await createAddon(db.db, box, manifestApp, "postgres", { passwordInCluster: true });
    const names = postgresAddonNames(app.name);
    const namespace = deployer.namespaceOf(app.name);

    // No namespace yet (never deployed): provisioning, saying what it waits for.
    await convergeAddons(db.db, deployer, desired, addonSettings, console);
    expect((await findAddon(db.db, row.id))?.detail).toMatch(/first deploy/);

    // The app's first deploy (its pods go to the kwok nodes) makes the namespace and its guard rails.
    await deployer.apply({
      app: manifestApp,
      release: {
        deploymentId: `dep_${suffix}`,
        image: `registry.test.invalid/apps/shop@sha256:${"c".repeat(64)}`,
        port: 3000,
        processes: [{ type: "web", command: null, count: 1, memory: "128Mi", cpu: "0.1" }],
      },
      env: {},
    });
    const apps = kc.makeApiClient(AppsV1Api);
    const web = await apps.readNamespacedDeployment({ name: app.name, namespace });
    expect(web.spec?.template.spec?.containers[0]?.envFrom).toContainEqual({
      secretRef: { name: names.secret, optional: true },
    });

    const started = Date.now();
    await eventually(
      "the add-on's pod Ready on the real node and the row ready",
      async () => {
        await convergeAddons(db.db, deployer, desired, addonSettings, console);
        const now = await findAddon(db.db, row.id);
        return now?.status === "ready" ? now : undefined;
      },
      240_000,
      2000,
    );
    const readyMs = Date.now() - started;
    const core = kc.makeApiClient(CoreV1Api);
    const pod = await core.readNamespacedPod({ name: `${names.workload}-0`, namespace });
    expect(pod.spec?.nodeName).toBe(env.node);
    expect(pod.status?.phase).toBe("Running");

    // The password exists only in the Secret: the row holds a marker, not a ciphertext.
    const secret = await core.readNamespacedSecret({ name: names.secret, namespace });
    const password = Buffer.from(secret.data?.PGPASSWORD ?? "", "base64").toString("utf8");
    expect(password).toHaveLength(43);
    expect(JSON.stringify(await findAddon(db.db, row.id))).not.toContain(password);

    // A query over TCP (scram) as the add-on's role, with the Secret's password.
    const { stdout } = await run("kubectl", [
      "--kubeconfig",
      env.kubeconfig ?? "",
      "exec",
      "-n",
      namespace,
      `${names.workload}-0`,
      "--",
      "sh",
      "-c",
      'PGPASSWORD="$POSTGRES_PASSWORD" psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "select current_user, current_database()"',
    ]);
    expect(stdout.trim()).toBe(`${row.role}|${row.database}`);
    console.info(`add-on ready on the real node in ${readyMs} ms`);

    // A second pass changes nothing and keeps the password.
    const again = await syncPostgresAddons(
      deployer.api,
      prefix,
      addonSettings,
      ["shop"],
      [
        {
          id: row.id,
          appName: "shop",
          database: row.database,
          role: row.role,
          status: "ready",
          detail: null,
        },
      ],
    );
    expect(again).toEqual([]);
    const kept = await core.readNamespacedSecret({ name: names.secret, namespace });
    expect(kept.data?.PGPASSWORD).toBe(secret.data?.PGPASSWORD);

    // The row removed: the next pass deletes the objects; the claim stays as the final copy.
    await deleteAddonRow(db.db, row.id);
    await convergeAddons(db.db, deployer, desired, addonSettings, console);
    await expect(apps.readNamespacedStatefulSet({ name: names.workload, namespace })).rejects.toThrow();
    await expect(core.readNamespacedSecret({ name: names.secret, namespace })).rejects.toThrow();
    await expect(core.readNamespacedService({ name: names.service, namespace })).rejects.toThrow();
    const claim = await core.readNamespacedPersistentVolumeClaim({
      name: `data-${names.workload}-0`,
      namespace,
    });
    expect(claim.spec?.storageClassName).toBe(storageClass);
  }, 420_000);
});

// CloudNativePG: its module and CRDs cannot be fetched here, so the CRD below is a STAND-IN with no schema
// (any object is accepted): what is tested is that the controller notices the CRD and applies, reads and
// removes the Cluster it renders from CNPG's documented API, NOT that CNPG would accept it. In this file so
// it runs after the StatefulSet suite: while the stand-in CRD exists every add-on of the cluster is CNPG.
describe.skipIf(!env.kubeconfig)("PostgreSQL add-ons as CNPG Clusters (stand-in CRD, not CNPG's)", () => {
  const kc = new KubeConfig();
  const suffix = randomBytes(3).toString("hex");
  const prefix = `kcn${suffix}-`;
  const settings = resolveSettings({ appsDomain: "apps.test.invalid", namespacePrefix: prefix });
  const crd = "clusters.postgresql.cnpg.io";
  let deployer: KubernetesDeployer;

  beforeAll(async () => {
    kc.loadFromFile(env.kubeconfig ?? "");
    deployer = new KubernetesDeployer(makeKubeApi(kc), { settings, pollMs: 200 });
    const extensions = kc.makeApiClient(ApiextensionsV1Api);
    await extensions.createCustomResourceDefinition({
      body: {
        metadata: { name: crd, labels: { "kli8nt.io/test": "cnpg-standin" } },
        spec: {
          group: "postgresql.cnpg.io",
          scope: "Namespaced",
          names: { plural: "clusters", singular: "cluster", kind: "Cluster", listKind: "ClusterList" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    });
    await eventually(
      "the stand-in CRD established",
      async () =>
        (await extensions.readCustomResourceDefinition({ name: crd })).status?.conditions?.some(
          (c) => c.type === "Established" && c.status === "True",
        ) || undefined,
      30_000,
      200,
    );
    await deployer.apply({
      app: { id: "app_cnpg", name: "shop" },
      release: {
        deploymentId: `dep_cnpg_${suffix}`,
        image: `registry.test.invalid/apps/shop@sha256:${"d".repeat(64)}`,
        port: 3000,
        processes: [{ type: "web", command: null, count: 1, memory: "128Mi", cpu: "0.1" }],
      },
      env: {},
    });
  }, 120_000);

  afterAll(async () => {
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: deployer.namespaceOf("shop") })
      .catch(() => undefined);
    await kc
      .makeApiClient(ApiextensionsV1Api)
      .deleteCustomResourceDefinition({ name: crd })
      .catch(() => undefined);
  });

  it("applies the Cluster with the app's database, points the app's Secret at its -rw Service, is ready from readyInstances, and removes it", async () => {
    const api = deployer.api;
    const namespace = deployer.namespaceOf("shop");
    const names = postgresAddonNames("shop");
    const addonSettings = { image: "docker.io/library/postgres:16", storage: "1Gi" };
    const row = {
      id: "adn_cnpg",
      appName: "shop",
      database: "app_shop_cnpg",
      role: "app_shop_cnpg",
      status: "provisioning" as const,
      detail: null,
    };
    const [first] = await syncPostgresAddons(api, prefix, addonSettings, ["shop"], [row]);
    expect(first).toMatchObject({ status: "provisioning", detail: expect.stringMatching(/CNPG Cluster/) });
    const custom = kc.makeApiClient(CustomObjectsApi);
    const ref = {
      group: "postgresql.cnpg.io",
      version: "v1",
      namespace,
      plural: "clusters",
      name: names.workload,
    };
    const cluster = (await custom.getNamespacedCustomObject(ref)) as {
      spec: { bootstrap: { initdb: { database: string; owner: string; secret: { name: string } } } };
    };
    expect(cluster.spec.bootstrap.initdb).toEqual({
      database: row.database,
      owner: row.role,
      secret: { name: `${names.workload}-owner` },
    });
    const core = kc.makeApiClient(CoreV1Api);
    const secret = await core.readNamespacedSecret({ name: names.secret, namespace });
    const pghost = Buffer.from(secret.data?.PGHOST ?? "", "base64").toString("utf8");
    expect(pghost).toBe(`${names.workload}-rw.${namespace}.svc`);
    expect(Buffer.from(secret.data?.DATABASE_URL ?? "", "base64").toString("utf8")).toContain(
      `@${pghost}:5432/`,
    );
    await expect(
      kc.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ name: names.workload, namespace }),
    ).rejects.toThrow();

    // What CNPG writes once its instance is up.
    await custom.patchNamespacedCustomObjectStatus(
      { ...ref, body: { status: { readyInstances: 1 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const [ready] = await syncPostgresAddons(
      api,
      prefix,
      addonSettings,
      ["shop"],
      [{ ...row, status: first?.status ?? "provisioning", detail: first?.detail ?? null }],
    );
    expect(ready).toEqual({ id: row.id, status: "ready", detail: null });

    // The row gone: the Cluster, both Secrets and the policy are deleted.
    await syncPostgresAddons(api, prefix, addonSettings, ["shop"], []);
    await expect(custom.getNamespacedCustomObject(ref)).rejects.toThrow();
    await expect(core.readNamespacedSecret({ name: names.secret, namespace })).rejects.toThrow();
    await expect(core.readNamespacedSecret({ name: `${names.workload}-owner`, namespace })).rejects.toThrow();
  }, 60_000);
});
