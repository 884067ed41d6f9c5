/**
 * bench:reconcile — deploy-controller cold start against a real API server: 1,000 apps with a live
 * release in the database (PGlite), then a fresh controller process reads the desired state, applies
 * every app's objects (namespace, quota, limits, network policy, env Secret, Deployment, Service,
 * Ingress) and observes every rollout complete (kwok pods Running and Ready).
 *
 *   KLI8NT_TEST_KUBECONFIG=… npx tsx bench/reconcile.bench.ts   (KLI8NT_BENCH_APPS=1000 to tune)
 *
 * Needs the test cluster of scripts/infra/kubernetes.sh (source it, then `start_kubernetes`). The
 * controller runs in its own process so its peak RSS is its own, from an esbuild bundle of this file, as
 * the chart runs the deploy controller from dist/deploy-controller.mjs (ADR 0115): plain node, no tsx.
 * The database is PostgreSQL when KLI8NT_TEST_DATABASE_URL is set (scripts/infra/postgres.sh), as a controller Deployment uses it; else
 * PGlite, whose in-process engine then counts in the controller's RSS (about 300 MiB of it).
 * The last line is the figure: reconcile_1000_apps_s.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Database, ensureAdminUser, openDatabase, SecretBox, schema } from "@kli8nt/db";
import {
  KubernetesDeployer,
  loadKubeConfig,
  makeKubeApi,
  readDesiredState,
  reconcileAll,
} from "@kli8nt/deploy-controller/kubernetes";
import { resolveSettings } from "@kli8nt/manifests";
import { CoreV1Api } from "@kubernetes/client-node";
import pg from "pg";
import { bundleEntry } from "../scripts/bundle.ts";

const APPS = Number(process.env.KLI8NT_BENCH_APPS ?? 1000);
const KUBECONFIG = process.env.KLI8NT_TEST_KUBECONFIG;
const PODS_PER_NODE = 110;
const KEY = Buffer.alloc(32, 7);
const POSTGRES = process.env.KLI8NT_TEST_DATABASE_URL;

/** Where the controller finds the database: a fresh PostgreSQL database, or a PGlite directory. */
interface Store {
  readonly url: string | undefined;
  readonly dataDir: string;
  drop(): Promise<void>;
}

async function createStore(): Promise<Store> {
  const dataDir = mkdtempSync(join(tmpdir(), "kli8nt-bench-reconcile-"));
  const rmDir = async () => rmSync(dataDir, { recursive: true, force: true });
  if (!POSTGRES) return { url: undefined, dataDir, drop: rmDir };
  const name = `kli8nt_bench_${randomBytes(4).toString("hex")}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: POSTGRES });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    async drop() {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await rmDir();
    },
  };
}

function digest(): string {
  return `registry.test.invalid/apps/bench@sha256:${randomBytes(32).toString("hex")}`;
}

/** 1,000 apps, each with one live deployment and its DeployRequested row, in bulk inserts. */
async function seed(database: Database): Promise<void> {
  const db = database.db;
  const admin = await ensureAdminUser(db);
  for (let start = 0; start < APPS; start += 250) {
    const n = Math.min(250, APPS - start);
    const ids = Array.from({ length: n }, (_, i) => start + i);
    await db.insert(schema.apps).values(
      ids.map((i) => ({
        id: `app_bench${i}`,
        ownerId: admin.id,
        name: `bench-${i}`,
        repoUrl: "https://example.com/r.git",
        branch: "main",
      })),
    );
    const images = ids.map(() => digest());
    await db.insert(schema.deployments).values(
      ids.map((i, k) => ({
        id: `dep_bench${i}`,
        appId: `app_bench${i}`,
        number: 1,
        state: "live",
        trigger: "api",
        ref: "main",
        image: images[k] ?? null,
      })),
    );
    await db.insert(schema.outbox).values(
      ids.map((i, k) => ({
        messageId: `msg_bench${i}`,
        queue: "DEPLOY",
        payload: {
          type: "DeployRequested",
          version: 1,
          deploymentId: `dep_bench${i}`,
          appId: `app_bench${i}`,
          appName: `bench-${i}`,
          image: images[k],
          port: 8080,
          requestedAt: new Date().toISOString(),
        },
        publishedAt: new Date(),
      })),
    );
  }
}

/** kwok nodes enough for one pod per app (the test cluster starts with two, 110 pods each). */
async function addNodes(core: CoreV1Api, prefix: string): Promise<string[]> {
  const names = Array.from({ length: Math.ceil(APPS / PODS_PER_NODE) }, (_, i) => `${prefix}node-${i}`);
  const capacity = { cpu: "64", memory: "256Gi", pods: String(PODS_PER_NODE) };
  for (const name of names) {
    await core.createNode({
      body: {
        metadata: {
          name,
          annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
          labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", type: "kwok" },
        },
        status: { allocatable: capacity, capacity },
      },
    });
  }
  return names;
}

/**
 * CPU seconds used so far by each of the test cluster's processes (etcd, kube-apiserver,
 * controller-manager, scheduler, kwok): those whose command line names the kubeconfig's run directory.
 * Linux only.
 */
function clusterCpuSeconds(): Map<string, number> {
  const runDir = `${dirname(KUBECONFIG ?? "")}/`;
  const seconds = new Map<string, number>();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(runDir)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
      const used = (Number(fields[11]) + Number(fields[12])) / 100;
      seconds.set(name, (seconds.get(name) ?? 0) + used);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return seconds;
}

/** "kube-apiserver 61.2 s, etcd 20.1 s, …" and the total, between two readings. */
function cpuUsed(before: Map<string, number>, after: Map<string, number>): { total: number; text: string } {
  const used = [...after].map(([name, s]) => [name, s - (before.get(name) ?? 0)] as const);
  used.sort((a, b) => b[1] - a[1]);
  const total = used.reduce((sum, [, s]) => sum + s, 0);
  return { total, text: used.map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(", ") };
}

/** The measured part, in a child process: a controller's cold start over the seeded database. */
async function controller(dataDir: string, prefix: string, url: string | undefined): Promise<void> {
  const t0 = performance.now();
  const database = await openDatabase({ dataDir, url, poolSize: 4 });
  const deployer = new KubernetesDeployer(makeKubeApi(loadKubeConfig(KUBECONFIG)), {
    settings: resolveSettings({ appsDomain: "apps.bench.invalid", namespacePrefix: prefix }),
  });
  const desired = await readDesiredState(database.db, new SecretBox(KEY));
  const tRead = performance.now();
  const baselineMiB = Math.round(process.memoryUsage().rss / 1048576);
  let tApplied = 0;
  const apply = deployer.apply.bind(deployer);
  deployer.apply = async (target) => {
    const applied = await apply(target);
    tApplied = performance.now();
    return applied;
  };
  const report = await reconcileAll(deployer, desired, { concurrency: 32, observeTimeoutMs: 600_000 });
  const seconds = (performance.now() - t0) / 1000;
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      database: database.kind,
      apps: desired.length,
      applied: report.applied.length,
      complete: report.complete.length,
      pending: report.pending.length,
      errors: report.errors.slice(0, 3),
      readDatabaseS: Number(((tRead - t0) / 1000).toFixed(2)),
      appliedS: Number(((tApplied - t0) / 1000).toFixed(2)),
      seconds: Number(seconds.toFixed(2)),
      baselineRssMiB: baselineMiB,
      peakRssMiB: Math.round(rssMiB),
      heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1048576),
      cpuS: Number((Object.values(process.cpuUsage()).reduce((a, b) => a + b, 0) / 1e6).toFixed(1)),
    }),
  );
  await database.close();
}

async function runChild(store: Store, prefix: string): Promise<Record<string, unknown>> {
  // Inside the repo (dist/ is ignored) so that the bundle's external packages resolve from node_modules.
  const bundled = fileURLToPath(new URL("../dist/bench/reconcile-controller.mjs", import.meta.url));
  await bundleEntry(fileURLToPath(import.meta.url), bundled);
  const args = [bundled, "--controller", store.dataDir, prefix, store.url ?? ""];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line));
      else reject(new Error(`controller process exited with ${code}: ${out}`));
    });
  });
}

async function main(): Promise<void> {
  if (!KUBECONFIG) {
    console.error(
      "KLI8NT_TEST_KUBECONFIG is not set: source scripts/infra/kubernetes.sh and run start_kubernetes",
    );
    process.exit(1);
  }
  const prefix = `kb${randomBytes(2).toString("hex")}-`;
  const store = await createStore();
  const core = loadKubeConfig(KUBECONFIG).makeApiClient(CoreV1Api);
  const nodes = await addNodes(core, prefix);
  try {
    const database = await openDatabase({ dataDir: store.dataDir, url: store.url });
    await seed(database);
    await database.close();
    console.log(`seeded ${APPS} apps with a live release; ${nodes.length} extra kwok nodes`);
    const cpu0 = clusterCpuSeconds();
    const result = await runChild(store, prefix);
    const clusterCpu = cpuUsed(cpu0, clusterCpuSeconds());
    console.log(`controller cold start: ${JSON.stringify(result)}`);
    console.log(`peak RSS of the controller process: ${result.peakRssMiB} MiB`);
    console.log(
      `CPU: controller ${result.cpuS} s, test cluster ${clusterCpu.total.toFixed(1)} s (${clusterCpu.text}); machine load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`,
    );
    if (result.complete !== APPS)
      console.log(`WARNING: only ${result.complete} of ${APPS} rollouts completed`);
    console.log(`reconcile_${APPS}_apps_s: ${result.seconds}`);
  } finally {
    await store.drop();
    // Not awaited to the end: the namespace controller finishes on its own.
    const namespaces = await core.listNamespace({ labelSelector: "kli8nt.io/app" });
    await Promise.all(
      namespaces.items
        .filter((ns) => ns.metadata?.name?.startsWith(prefix))
        .map((ns) => core.deleteNamespace({ name: ns.metadata?.name ?? "" }).catch(() => undefined)),
    );
    for (const name of nodes) await core.deleteNode({ name }).catch(() => undefined);
  }
}

if (process.argv[2] === "--controller") {
  await controller(process.argv[3] ?? "", process.argv[4] ?? "", process.argv[5] || undefined);
} else {
  await main();
}
