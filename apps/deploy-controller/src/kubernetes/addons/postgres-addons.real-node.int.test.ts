import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildApi, createAddonService, createLogger, loadAddonsConfig, loadConfig } from "@kli8nt/api";
import {
  createAddon,
  createApiToken,
  createApp,
  createUser,
  findAddon,
  getBackup,
  listAddonBackups,
  listFinalDumps,
  openTestDatabase,
  requestAddonDeletion,
  requestBackup,
  requestRestore,
  SecretBox,
  schema,
} from "@kli8nt/db";
import { postgresAddonNames, postgresBackupClaimName, resolveSettings } from "@kli8nt/manifests";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Exec,
  KubeConfig,
  PatchStrategy,
  StorageV1Api,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execClusterPsql, loadUserKubeConfig } from "../../../../../apps/cli/src/commands/psql-cluster.ts";
import { pushToTestRegistry, realNodePlacement } from "../../../../../test/k8s/real-node.ts";
import { makeKubeApi } from "../kube-api.ts";
import { KubernetesDeployer } from "../kubernetes-deployer.ts";
import type { DesiredApp } from "../reconcile-all.ts";
import { convergeBackups } from "./addon-backups.ts";
import { type AddonPassState, backupStore, convergeAddons } from "./addon-rows.ts";
import { CNPG_RESTORE_DETAIL, DEFAULT_BACKUP_SETTINGS } from "./backup-jobs.ts";
import { syncPostgresAddons } from "./postgres-addons.ts";

// The PostgreSQL add-on as the deploy controller makes it in cluster mode (issue 25, ADR 0226), on the test
// cluster of scripts/infra/kubernetes.sh: a row (no password in it) → Secret, Service, NetworkPolicy and
// StatefulSet applied in the app's namespace, the app's Deployment reading the Secret, and the pod RUNNING
// on the real node of scripts/infra/node.sh (ADR 0181) with the postgres stand-in image of pgimage.sh
// pushed to the test registry, answering a query over TCP with the Secret's password, then `ready`; the
// backups, restores, size and psql of ADR 0229 on that same add-on: a pg_dump Job into the backups claim, a
// dropped table restored, the size by exec, psql by exec with SQL piped in, one nightly row, the delete after
// the final dump (data claim gone, dump kept), a new add-on made from that final dump, and a failing final
// dump keeping the add-on. The test cluster has no storage provisioner: the claims bind to hostPath
// PersistentVolumes of a StorageClass made by this test, a STAND-IN named as such.
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
const CLI_BIN = fileURLToPath(new URL("../../../../cli/bin/kli8nt.js", import.meta.url));

describe.skipIf(missing)("PostgreSQL add-ons applied by the deploy controller", () => {
  const kc = new KubeConfig();
  const suffix = randomBytes(3).toString("hex");
  const prefix = `kpg${suffix}-`;
  const settings = resolveSettings({ appsDomain: "apps.test.invalid", namespacePrefix: prefix });
  // A stand-in for a real provisioner's class: statically provisioned hostPath volumes on the real node,
  // two for data claims (a second add-on is made from the first's final dump) and one for the backups
  // claim (ADR 0229).
  const storageClass = `kli8nt-test-hostpath-standin-${suffix}`;
  const volumes = ["data", "backups", "data2"].map((v) => ({
    name: `kli8nt-test-pg-${v}-${suffix}`,
    dir: join(tmpdir(), `kli8nt-pv-${v}-${suffix}`),
  }));
  const box = new SecretBox(randomBytes(32));
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let deployer: KubernetesDeployer;
  let desired: DesiredApp[];
  let image: string;
  // One add-on for every case below: its pod takes 20-50 s to be Ready on the real node.
  let addonId = "";
  let addonSettings: Parameters<typeof convergeAddons>[3];
  let state: AddonPassState;
  const converge = () => convergeAddons(db.db, deployer, desired, addonSettings, console, state);
  const namespaceOf = () => deployer.namespaceOf("shop");
  const names = postgresAddonNames("shop");

  /** SQL as the add-on's role over TCP inside its pod, as an app would run it. */
  async function sql(query: string): Promise<string> {
    const { stdout } = await run("kubectl", [
      "--kubeconfig",
      env.kubeconfig ?? "",
      "exec",
      "-n",
      namespaceOf(),
      `${names.workload}-0`,
      "--",
      "sh",
      "-c",
      'PGPASSWORD="$POSTGRES_PASSWORD" psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v ON_ERROR_STOP=1 -tAc "$1"',
      "sh",
      query,
    ]);
    return stdout.trim();
  }

  /** The host directory of the stand-in volume a claim is bound to. */
  async function dirOf(claim: string): Promise<string> {
    const read = await kc
      .makeApiClient(CoreV1Api)
      .readNamespacedPersistentVolumeClaim({ name: claim, namespace: namespaceOf() });
    return volumes.find((v) => v.name === read.spec?.volumeName)?.dir ?? "";
  }

  /** Resyncs until the backup row is finished. */
  async function backupFinished(id: string) {
    return eventually(
      `backup ${id} finished`,
      async () => {
        await converge();
        const b = await getBackup(db.db, id);
        return b?.status === "done" || b?.status === "error" ? b : undefined;
      },
      120_000,
      500,
    );
  }

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
    addonSettings = {
      image,
      storage: "1Gi",
      storageClassName: storageClass,
      placement: realNodePlacement(env.taint ?? "", env.node ?? ""),
      backups: { ...DEFAULT_BACKUP_SETTINGS, deadlineSeconds: 120 },
    };
    state = { exec: new Exec(kc), sizeReadAt: new Map() };
    const storage = kc.makeApiClient(StorageV1Api);
    await storage.createStorageClass({
      body: {
        metadata: { name: storageClass, labels: { "kli8nt.io/test": "hostpath-standin" } },
        provisioner: "kubernetes.io/no-provisioner",
        volumeBindingMode: "WaitForFirstConsumer",
      },
    });
    for (const v of volumes) {
      // The official image's postgres user (999) owns the volume, as a provisioner with fsGroup would make it.
      await mkdir(v.dir, { recursive: true });
      await chown(v.dir, 999, 999);
      await kc.makeApiClient(CoreV1Api).createPersistentVolume({
        body: {
          metadata: { name: v.name },
          spec: {
            capacity: { storage: "1Gi" },
            accessModes: ["ReadWriteOnce"],
            storageClassName: storageClass,
            persistentVolumeReclaimPolicy: "Retain",
            hostPath: { path: v.dir, type: "Directory" },
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
    }
  }, 180_000);

  afterAll(async () => {
    const core = kc.makeApiClient(CoreV1Api);
    for (const d of desired ?? []) {
      await core.deleteNamespace({ name: deployer.namespaceOf(d.app.name) }).catch(() => undefined);
    }
    for (const v of volumes) await core.deletePersistentVolume({ name: v.name }).catch(() => undefined);
    await kc
      .makeApiClient(StorageV1Api)
      .deleteStorageClass({ name: storageClass })
      .catch(() => undefined);
    await db?.close();
    for (const v of volumes) await rm(v.dir, { recursive: true, force: true }).catch(() => undefined);
  });

  it("runs the add-on's pod on the real node, answers a query, records ready, and a second pass changes nothing", async () => {
    const user = await createUser(db.db, { login: `pg-${suffix}` });
    const app = await createApp(db.db, user.id, {
      name: "shop",
      repository: { url: "https://github.com/acme/shop", branch: "main", rootDir: "." },
      port: null,
    });
    const manifestApp = { id: app.id, name: app.name };
    desired = [{ app: manifestApp, live: null, deploying: false }];
    const row = await createAddon(db.db, box, manifestApp, "postgres", { passwordInCluster: true });
    addonId = row.id;
    const namespace = namespaceOf();

    // No namespace yet (never deployed): provisioning, saying what it waits for.
    await converge();
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
        await converge();
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
    expect(await sql("select current_user, current_database()")).toBe(`${row.role}|${row.database}`);
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
  }, 420_000);

  it("backs up with a Job into the backups claim, and a restore brings a dropped row back", async () => {
    const addon = await findAddon(db.db, addonId);
    expect(addon?.status).toBe("ready");
    await sql("create table notes (body text); insert into notes values ('kept across a restore')");

    const started = Date.now();
    const requested = await requestBackup(db.db, {
      appId: addon?.appId ?? "",
      addonId,
      database: addon?.database ?? "",
      kind: "manual",
    });
    const done = await backupFinished(requested.id);
    const backupMs = Date.now() - started;
    expect(done, done.detail ?? "").toMatchObject({
      status: "done",
      location: `pvc:${postgresBackupClaimName("shop")}/${requested.id}.sql`,
    });
    expect(done.sizeBytes).toBeGreaterThan(100);
    expect(done.finishedAt).not.toBeNull();
    // The dump is on the backups volume, 0600, owned by the image's postgres user.
    const file = join(await dirOf(postgresBackupClaimName("shop")), `${requested.id}.sql`);
    const { stdout: stat } = await run("stat", ["-c", "%s %a %u", file]);
    expect(stat.trim()).toBe(`${done.sizeBytes} 600 999`);

    await sql("drop table notes");
    const restoreStarted = Date.now();
    await requestRestore(db.db, addonId, requested.id);
    const restored = await eventually(
      "the restore done",
      async () => {
        await converge();
        const a = await findAddon(db.db, addonId);
        return a?.restoreStatus === "done" || a?.restoreStatus === "error" ? a : undefined;
      },
      120_000,
      500,
    );
    expect(restored.restoreStatus, restored.restoreDetail ?? "").toBe("done");
    const restoreMs = Date.now() - restoreStarted;
    expect(await sql("select body from notes")).toBe("kept across a restore");
    // The restored objects are the add-on role's, as before.
    expect(await sql("select tableowner from pg_tables where tablename = 'notes'")).toBe(addon?.role);
    console.info(`backup done in ${backupMs} ms, restore in ${restoreMs} ms`);
  }, 300_000);

  it("reads the database's size by exec into the add-on's pod, at most every five minutes", async () => {
    state.sizeReadAt.clear();
    await db.db.update(schema.addons).set({ sizeBytes: null }).where(eq(schema.addons.id, addonId));
    await converge();
    const size = (await findAddon(db.db, addonId))?.sizeBytes;
    expect(size).toBe(Number(await sql("select pg_database_size(current_database())")));
    // Within five minutes nothing is read again.
    await db.db.update(schema.addons).set({ sizeBytes: 1 }).where(eq(schema.addons.id, addonId));
    await converge();
    expect((await findAddon(db.db, addonId))?.sizeBytes).toBe(1);
    // Without exec (or when it fails), the size of the last dump, said in the log.
    const before = state;
    state = { sizeReadAt: new Map() };
    await converge();
    const dumps = (await listAddonBackups(db.db, addonId)).filter((b) => b.status === "done");
    expect((await findAddon(db.db, addonId))?.sizeBytes).toBe(dumps[0]?.sizeBytes);
    state = before;
  }, 60_000);

  it("runs kli8nt psql's session in the add-on's pod through a kubeconfig, SQL piped in", async () => {
    const addon = await findAddon(db.db, addonId);
    let out = "";
    let err = "";
    const sink = (add: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _e, done) {
          add(chunk.toString());
          done();
        },
      });
    const code = await execClusterPsql(
      loadUserKubeConfig({ KUBECONFIG: env.kubeconfig }),
      {
        namespace: namespaceOf(),
        pod: `${names.workload}-0`,
        container: "postgres",
        database: addon?.database ?? "",
        user: addon?.role ?? "",
      },
      ["-At"],
      {
        stdin: Readable.from(["select current_user, count(*) from notes;\n"]),
        stdout: sink((s) => {
          out += s;
        }),
        stderr: sink((s) => {
          err += s;
        }),
      },
    );
    expect(code, err).toBe(0);
    expect(out.trim()).toBe(`${addon?.role}|1`);

    // psql's own exit code comes back through the exec's status.
    const bad = await execClusterPsql(
      loadUserKubeConfig({ KUBECONFIG: env.kubeconfig }),
      {
        namespace: namespaceOf(),
        pod: `${names.workload}-0`,
        container: "postgres",
        database: addon?.database ?? "",
        user: addon?.role ?? "",
      },
      ["-v", "ON_ERROR_STOP=1", "-c", "select * from nowhere"],
      { stdin: Readable.from([]), stdout: sink(() => undefined), stderr: sink((s) => (err += s)) },
    );
    expect(bad).toBe(1);
    expect(err).toContain('relation "nowhere" does not exist');
    expect(() => loadUserKubeConfig({ KUBECONFIG: "/nonexistent/kubeconfig" })).toThrow(
      /no kubeconfig found/,
    );
  }, 60_000);

  it("runs `kli8nt psql <app>` end to end: the api's cluster answer, then psql by exec in the pod", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kli8nt-psql-cluster-"));
    const addons = createAddonService(
      loadAddonsConfig({
        KLI8NT_ADDONS: "kubernetes",
        KLI8NT_K8S_NAMESPACE_PREFIX: prefix,
        KLI8NT_DATA_DIR: dir,
      }),
      { db: db.db, box, logger: createLogger("silent") },
    );
    const api = await buildApi({
      config: loadConfig({ KLI8NT_DATA_DIR: dir, KLI8NT_LOG_LEVEL: "silent" }),
      db: db.db,
      box,
      onOutboxWrite: () => undefined,
      addons,
    });
    try {
      const url = await api.listen({ host: "127.0.0.1", port: 0 });
      const owner = (await db.db.select().from(schema.apps).where(eq(schema.apps.name, "shop")))[0];
      const { token } = await createApiToken(db.db, owner?.ownerId ?? "", "psql");
      // The real entry point, as a shell with a pipe runs it: no psql on this PATH, only the kubeconfig.
      const cli = (kubeconfig: string, input: string) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          const child = execFile(
            process.execPath,
            [CLI_BIN, "psql", "shop", "--", "-At"],
            {
              env: {
                PATH: "/nonexistent",
                HOME: dir,
                KUBECONFIG: kubeconfig,
                KLI8NT_URL: url,
                KLI8NT_TOKEN: token,
                KLI8NT_CONFIG_DIR: join(dir, "cfg"),
              },
              timeout: 60_000,
            },
            (error, stdout, stderr) =>
              resolve({
                code: error ? (typeof error.code === "number" ? error.code : -1) : 0,
                stdout,
                stderr,
              }),
          );
          child.stdin?.end(input);
        });
      const addon = await findAddon(db.db, addonId);
      const ok = await cli(env.kubeconfig ?? "", "select current_user, count(*) from notes;\n");
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout.trim()).toBe(`${addon?.role}|1`);
      expect(ok.stderr).toContain(`in pod ${namespaceOf()}/${names.workload}-0 as ${addon?.role}`);
      const none = await cli(join(dir, "absent-kubeconfig"), "select 1;\n");
      expect(none.code).toBe(1);
      expect(none.stderr).toContain("no kubeconfig found");
    } finally {
      await api.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("requests a nightly backup when the newest is older than the interval, one at a time", async () => {
    const now = Date.now() + 25 * 3600_000;
    const later = { ...state, now: () => now, sizeReadAt: new Map([[addonId, now]]) };
    await convergeAddons(db.db, deployer, desired, addonSettings, console, later);
    await convergeAddons(db.db, deployer, desired, addonSettings, console, later);
    const nightly = (await listAddonBackups(db.db, addonId)).filter((b) => b.kind === "nightly");
    expect(nightly).toHaveLength(1);
    const done = await backupFinished(nightly[0]?.id ?? "");
    expect(done.status, done.detail ?? "").toBe("done");
  }, 180_000);

  it("deletes a deleting add-on only after its final dump, with its data claim; the dumps stay", async () => {
    const namespace = namespaceOf();
    // What the api's DELETE does (ADR 0228): the add-on deleting, a final dump requested.
    const final = await requestAddonDeletion(db.db, addonId);
    await eventually(
      "the add-on row gone",
      async () => {
        await converge();
        return (await findAddon(db.db, addonId)) ? undefined : true;
      },
      120_000,
      500,
    );
    const kept = await getBackup(db.db, final.id);
    expect(kept).toMatchObject({ status: "done", addonId: null, kind: "final" });
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    await expect(apps.readNamespacedStatefulSet({ name: names.workload, namespace })).rejects.toThrow();
    await expect(core.readNamespacedSecret({ name: names.secret, namespace })).rejects.toThrow();
    await expect(core.readNamespacedService({ name: names.service, namespace })).rejects.toThrow();
    // The data claim is deleted (or waits for its pod to go); the backups claim stays with the dumps.
    await eventually(
      "the data claim gone",
      () =>
        core
          .readNamespacedPersistentVolumeClaim({ name: `data-${names.workload}-0`, namespace })
          .then((c) => (c.metadata?.deletionTimestamp ? true : undefined))
          .catch(() => true),
      60_000,
      500,
    );
    const claim = await core.readNamespacedPersistentVolumeClaim({
      name: postgresBackupClaimName("shop"),
      namespace,
    });
    expect(claim.metadata?.deletionTimestamp).toBeUndefined();
    const { stdout } = await run("ls", [await dirOf(postgresBackupClaimName("shop"))]);
    expect(stdout).toContain(`${final.id}.sql`);
  }, 180_000);

  it("restores the final dump into a new add-on of the app once it is ready", async () => {
    const app = desired[0]?.app ?? { id: "", name: "shop" };
    const [final] = (await listFinalDumps(db.db, app.id)).filter((b) => b.status === "done");
    const row = await createAddon(db.db, box, app, "postgres", {
      passwordInCluster: true,
      restoreBackupId: final?.id ?? "",
    });
    addonId = row.id;
    const started = Date.now();
    const restored = await eventually(
      "the new add-on ready with the final dump restored",
      async () => {
        await converge();
        const a = await findAddon(db.db, row.id);
        return a?.restoreStatus === "done" || a?.restoreStatus === "error" ? a : undefined;
      },
      240_000,
      1000,
    );
    expect(restored.restoreStatus, restored.restoreDetail ?? "").toBe("done");
    expect(await sql("select body from notes")).toBe("kept across a restore");
    expect(await sql("select tableowner from pg_tables where tablename = 'notes'")).toBe(row.role);
    console.info(`new add-on ready and restored from the final dump in ${Date.now() - started} ms`);
  }, 300_000);

  it("keeps a deleting add-on and its data when its final dump fails, saying why", async () => {
    // A dump that cannot run (an image no node can pull) fails at its deadline.
    const failing = {
      ...addonSettings,
      image: "127.0.0.1:1/kli8nt-test/absent:1",
      backups: { ...DEFAULT_BACKUP_SETTINGS, deadlineSeconds: 3 },
    };
    const final = await requestAddonDeletion(db.db, addonId);
    const failed = await eventually(
      "the final dump failed",
      async () => {
        await convergeAddons(db.db, deployer, desired, failing, console, state);
        const b = await getBackup(db.db, final.id);
        return b?.status === "error" ? b : undefined;
      },
      60_000,
      500,
    );
    expect(failed.detail).toMatch(/DeadlineExceeded/);
    await convergeAddons(db.db, deployer, desired, failing, console, state);
    const kept = await findAddon(db.db, addonId);
    expect(kept?.status).toBe("deleting");
    expect(kept?.detail).toMatch(
      /The final dump failed .*DeadlineExceeded.*the add-on and its data are kept/,
    );
    // Still serving its data.
    expect(await sql("select count(*) from notes")).toBe("1");
  }, 120_000);
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
  // The Cluster CRD, and the Backup and ScheduledBackup ones of add-on backups (ADR 0229): all stand-ins.
  const kinds = [
    { plural: "clusters", kind: "Cluster" },
    { plural: "backups", kind: "Backup" },
    { plural: "scheduledbackups", kind: "ScheduledBackup" },
  ];
  const crds = kinds.map((k) => `${k.plural}.postgresql.cnpg.io`);
  let deployer: KubernetesDeployer;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;

  beforeAll(async () => {
    kc.loadFromFile(env.kubeconfig ?? "");
    deployer = new KubernetesDeployer(makeKubeApi(kc), { settings, pollMs: 200 });
    db = await openTestDatabase("pglite");
    const extensions = kc.makeApiClient(ApiextensionsV1Api);
    for (const k of kinds) {
      const crd = `${k.plural}.postgresql.cnpg.io`;
      await extensions.createCustomResourceDefinition({
        body: {
          metadata: { name: crd, labels: { "kli8nt.io/test": "cnpg-standin" } },
          spec: {
            group: "postgresql.cnpg.io",
            scope: "Namespaced",
            names: {
              plural: k.plural,
              singular: k.kind.toLowerCase(),
              kind: k.kind,
              listKind: `${k.kind}List`,
            },
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
        `the stand-in CRD ${crd} established`,
        async () =>
          (await extensions.readCustomResourceDefinition({ name: crd })).status?.conditions?.some(
            (c) => c.type === "Established" && c.status === "True",
          ) || undefined,
        30_000,
        200,
      );
    }
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
    for (const crd of crds) {
      await kc
        .makeApiClient(ApiextensionsV1Api)
        .deleteCustomResourceDefinition({ name: crd })
        .catch(() => undefined);
    }
    await db?.close();
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

  it("takes a backup row as a CNPG Backup, done from its status.phase, schedules nightly ones, and refuses restores", async () => {
    const api = deployer.api;
    const namespace = deployer.namespaceOf("shop");
    const user = await createUser(db.db, { login: `cnpg-${suffix}` });
    const app = await createApp(db.db, user.id, {
      name: "shop",
      repository: { url: "https://github.com/acme/shop", branch: "main", rootDir: "." },
      port: null,
    });
    const row = await createAddon(db.db, new SecretBox(randomBytes(32)), app, "postgres", {
      passwordInCluster: true,
    });
    await db.db.update(schema.addons).set({ status: "ready" }).where(eq(schema.addons.id, row.id));
    const view = {
      id: row.id,
      appId: app.id,
      appName: "shop",
      database: row.database,
      status: "ready" as const,
      detail: null,
      sizeBytes: null,
      createdAt: new Date(),
      restoreBackupId: null,
      restoreStatus: null,
      restoreDetail: null,
    };
    const ctx = {
      api,
      namespacePrefix: prefix,
      settings: { image: "docker.io/library/postgres:16", storage: "1Gi" },
      backups: DEFAULT_BACKUP_SETTINGS,
      cnpg: true,
      sizeReadAt: new Map([[row.id, Date.now()]]),
      logger: console,
    };
    const store = backupStore(db.db);
    const requested = await requestBackup(db.db, {
      appId: app.id,
      addonId: row.id,
      database: row.database,
      kind: "manual",
    });
    await convergeBackups(store, ctx, [view]);
    expect((await getBackup(db.db, requested.id))?.status).toBe("running");
    const custom = kc.makeApiClient(CustomObjectsApi);
    const ref = {
      group: "postgresql.cnpg.io",
      version: "v1",
      namespace,
      plural: "backups",
      name: `pg-backup-${requested.id.replaceAll("_", "-")}`,
    };
    const backup = (await custom.getNamespacedCustomObject(ref)) as { spec: unknown };
    expect(backup.spec).toEqual({ cluster: { name: "shop-postgres" }, method: "barmanObjectStore" });
    const scheduled = (await custom.getNamespacedCustomObject({
      ...ref,
      plural: "scheduledbackups",
      name: "shop-postgres-nightly",
    })) as { spec: unknown };
    expect(scheduled.spec).toEqual({
      schedule: "0 0 3 * * *",
      cluster: { name: "shop-postgres" },
      method: "barmanObjectStore",
      backupOwnerReference: "cluster",
      immediate: false,
    });
    // No nightly rows on CNPG: its ScheduledBackup takes them.
    expect((await listAddonBackups(db.db, row.id)).map((b) => b.kind)).toEqual(["manual"]);

    // What CNPG writes when its backup finished.
    await custom.patchNamespacedCustomObjectStatus(
      { ...ref, body: { status: { phase: "completed" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await convergeBackups(store, ctx, [view]);
    expect(await getBackup(db.db, requested.id)).toMatchObject({
      status: "done",
      location: `cnpg-backup:${ref.name}`,
    });

    await requestRestore(db.db, row.id, requested.id);
    await convergeBackups(store, ctx, [
      { ...view, restoreBackupId: requested.id, restoreStatus: "requested" },
    ]);
    expect(await findAddon(db.db, row.id)).toMatchObject({
      restoreStatus: "error",
      restoreDetail: CNPG_RESTORE_DETAIL,
    });
  }, 60_000);
});
