// Deploy benchmark: the testkit's Node sample deployed through Kli8nt (`kli8nt start` as a child process:
// api → BUILD → buildah → DEPLOY → podman → router) against the same steps typed by hand (git clone, buildah
// bud of the same rendered Dockerfile, podman run, poll until HTTP 200), same run, alternating, several rounds.
// Every measured deploy gets its own repository whose content is new to the layer cache where the mode says:
// `cold` changes package.json (every build step runs), `warm` only server.js (dependency layers cached, as
// for a push). Needs buildah/podman and local base images (`scripts/with-services.sh containers`).
// Last line: `deploy_overhead_ratio: <r>` (Kli8nt ÷ by hand, median of the per-round pairs, the worse mode).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { BUILD_CA_PATH, detect, registryBuildArgs, render } from "@kli8nt/buildplan";
import { DEFAULT_FORMATION } from "@kli8nt/core";
import { limitFlags } from "@kli8nt/deploy-controller";
import { type FakeGitHub, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import { type Deployment, platformApi, platformEnv } from "../test/e2e/platform-api.ts";
import { freePort, type PlatformProcess, startPlatform, viaRouter } from "../test/e2e/platform-process.ts";

const run = promisify(execFile);
const env = process.env;
if (env.KLI8NT_TEST_CONTAINERS !== "1" || env.KLI8NT_TEST_BASE_IMAGES === undefined) {
  console.error(
    "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run under scripts/with-services.sh containers",
  );
  process.exit(1);
}
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const MODES = (env.BENCH_MODES ?? "warm,cold").split(",") as Array<"warm" | "cold">;
const POLL_MS = 50;
// Kli8nt runs buildah under `nice -n 10` (ADR 0060); BENCH_RAW_NICE=1 does the same by hand, to see its share.
const RAW_NICE = env.BENCH_RAW_NICE === "1";
const SAMPLE = samplePath("node-hello");
const baseImages = JSON.parse(env.KLI8NT_TEST_BASE_IMAGES) as Record<string, string>;
const caFile = env.KLI8NT_TEST_CA_FILE ?? "/etc/ssl/certs/ca-certificates.crt";
const npmRegistry = env.KLI8NT_TEST_NPM_REGISTRY ?? "https://registry.npmjs.org/";
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The sample with a nonce in its answer (and, for a cold build, in package.json, which is copied first). */
async function sampleFiles(nonce: string, mode: "warm" | "cold"): Promise<Record<string, string>> {
  const server = await readFile(join(SAMPLE, "server.js"), "utf8");
  const pkg = JSON.parse(await readFile(join(SAMPLE, "package.json"), "utf8")) as Record<string, unknown>;
  if (mode === "cold") pkg.description = `bench ${nonce}`;
  return {
    "server.js": server.replace("hello from", `hello ${nonce} from`),
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
  };
}

type Phases = Record<string, number>;
interface Sample {
  readonly seconds: number;
  readonly phases: Phases;
  /** Build steps buildah took from its layer cache: the same on both sides, or the comparison is unfair. */
  readonly cached: number;
}

const cachedSteps = (output: string) =>
  output.split("\n").filter((l) => l.startsWith("--> Using cache")).length;

/** Polls `get` every POLL_MS until it answers 200 with the nonce; resolves with the time of that answer. */
async function until200(
  get: () => Promise<{ status: number; body: string }>,
  nonce: string,
): Promise<number> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const r = await get().catch(() => ({ status: 0, body: "" }));
    if (r.status === 200 && r.body.includes(nonce)) return performance.now();
    await sleep(POLL_MS);
  }
  throw new Error(`no 200 with ${nonce} within 300 s`);
}

async function getHttp(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, body: await res.text() };
}

/** By hand: shallow clone, render the plan's Dockerfile, buildah bud, podman run, first 200. */
async function byHand(github: FakeGitHub, nonce: string, mode: "warm" | "cold"): Promise<Sample> {
  const repo = await github.addRepo({
    owner: "bench",
    name: `raw-${nonce}`,
    files: await sampleFiles(nonce, mode),
  });
  const work = await mkdtemp(join(tmpdir(), "kli8nt-bench-raw-"));
  const tag = `localhost/kli8nt-bench/raw:${nonce}`;
  const name = `kli8nt-bench-raw-${nonce}`;
  const phases: Phases = {};
  const t0 = performance.now();
  let t = t0;
  const mark = (phase: string) => {
    const now = performance.now();
    phases[phase] = (now - t) / 1000;
    t = now;
  };
  try {
    const dir = join(work, "src");
    await run("git", [
      "clone",
      "--quiet",
      "--depth",
      "1",
      "--single-branch",
      "--branch",
      "main",
      repo.cloneUrl,
      dir,
    ]);
    mark("clone");
    const rendered = render(await detect(dir), { baseImages });
    await writeFile(join(work, "Dockerfile"), rendered.dockerfile);
    if (rendered.dockerignore !== null) await writeFile(join(dir, ".dockerignore"), rendered.dockerignore);
    const args = registryBuildArgs({ npmRegistry, caFile: BUILD_CA_PATH });
    const built = await run(
      RAW_NICE ? "nice" : "buildah",
      [
        ...(RAW_NICE ? ["-n", "10", "buildah"] : []),
        "bud",
        "--layers",
        // The isolation Kli8nt's builds get (ADR 0136): RUN steps in their own container and network
        // namespace. Chroot isolation skips both and is 0.3-0.5 s faster per cold build of this sample.
        "--isolation",
        "oci",
        "--network",
        "private",
        "--volume",
        `${caFile}:${BUILD_CA_PATH}:ro`,
        ...Object.entries(args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
        "-f",
        join(work, "Dockerfile"),
        "-t",
        tag,
        dir,
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    mark("build");
    const port = await freePort();
    await run("podman", [
      "run",
      "-d",
      "--name",
      name,
      "-p",
      `127.0.0.1:${port}:3000`,
      "-e",
      "PORT=3000",
      // The same limits Kli8nt gives a web process nobody sized (0.5 CPU boots node twice as slowly as none).
      ...limitFlags(DEFAULT_FORMATION.memory, DEFAULT_FORMATION.cpu),
      tag,
    ]);
    mark("run");
    t = await until200(() => getHttp(`http://127.0.0.1:${port}/`), nonce).then((at) => {
      phases.first200 = (at - t) / 1000;
      return at;
    });
    return { seconds: (t - t0) / 1000, phases, cached: cachedSteps(built.stdout + built.stderr) };
  } finally {
    await run("podman", ["rm", "-f", "-t", "0", name]).catch(() => undefined);
    await run("podman", ["rmi", "-f", tag]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

type Api = ReturnType<typeof platformApi>;
/** Every app the bench deployed, so their images (`<prefix>/<app>:<deploymentId>`) can be removed at the end. */
const appsDeployed: string[] = [];
type LogRecord = { timestamp: string; line: string; phase: string };

/** Through Kli8nt: create the app, deploy, poll the router until it answers 200 with the nonce. */
async function throughKli8nt(
  github: FakeGitHub,
  platform: PlatformProcess,
  api: Api,
  nonce: string,
  mode: "warm" | "cold",
): Promise<Sample> {
  const app = `k${nonce}`;
  appsDeployed.push(app);
  const repo = await github.addRepo({ owner: "bench", name: app, files: await sampleFiles(nonce, mode) });
  const t0 = performance.now();
  const wall0 = Date.now();
  try {
    const created = await api.call("POST", "/apps", {
      name: app,
      repository: { url: repo.cloneUrl, branch: "main" },
    });
    if (created.status !== 201)
      throw new Error(`create app: ${created.status} ${JSON.stringify(created.json)}`);
    const started = await api.call<Deployment>("POST", `/apps/${app}/deployments`, {});
    if (started.status !== 202) throw new Error(`deploy: ${started.status} ${JSON.stringify(started.json)}`);
    const t1 = await until200(() => viaRouter(platform.routerPort, app), nonce);
    const seconds = (t1 - t0) / 1000;
    const done = await api.call<Deployment>("GET", `/deployments/${started.json.id}`);
    if (done.json.state !== "live") throw new Error(`deployment ${done.json.state}: ${done.json.reason}`);
    // The app's first line reaches the log store a moment after the switch (podman logs, 100 ms batches).
    let logs = await api.call<{ records: LogRecord[] }>("GET", `/apps/${app}/logs?limit=10000`);
    for (let i = 0; i < 20 && !logs.json.records.some((r) => r.phase === "run"); i++) {
      await sleep(100);
      logs = await api.call<{ records: LogRecord[] }>("GET", `/apps/${app}/logs?limit=10000`);
    }
    const events = platformEvents(platform.output(), started.json.id);
    const records = logs.json.records;
    const cached = cachedSteps(records.map((r) => r.line).join("\n"));
    return { seconds, phases: kli8ntPhases(wall0, wall0 + seconds * 1000, records, events), cached };
  } finally {
    const names = await run("podman", ["ps", "-aq", "--filter", `label=kli8nt.app=${app}`]);
    for (const id of names.stdout.split("\n").filter(Boolean))
      await run("podman", ["rm", "-f", "-t", "0", id]);
    await api.call("DELETE", `/apps/${app}`).catch(() => undefined);
  }
}

/** Where the time went: build log lines (clone), the platform's own log (built, switched), the app's first line. */
function kli8ntPhases(start: number, end: number, records: LogRecord[], events: Map<string, number>): Phases {
  const at = (test: (r: LogRecord) => boolean) => {
    const r = records.find(test);
    return r ? Date.parse(r.timestamp) : Number.NaN;
  };
  const cloning = at((r) => r.line.startsWith("Cloning "));
  const checkedOut = at((r) => r.line.startsWith("Checked out "));
  const plan = at((r) => r.line.startsWith("Build plan: "));
  const lastBuildLine = Date.parse(records.filter((r) => r.phase === "build").at(-1)?.timestamp ?? "");
  const built = events.get("Built image") ?? Number.NaN;
  const deploying = events.get("Recorded deployment progress deploying") ?? Number.NaN;
  const firstRun = at((r) => r.phase === "run");
  // The route switches as the health check passes, just before the deployment is recorded live.
  const switched = events.get("Release is live") ?? Number.NaN;
  const s = (a: number, b: number) => (b - a) / 1000;
  return {
    "api+queue": s(start, cloning),
    clone: s(cloning, checkedOut),
    plan: s(checkedOut, plan),
    buildah: s(plan, lastBuildLine),
    "record built": s(lastBuildLine, built),
    "to deploying": s(built, deploying),
    "to app output": s(deploying, firstRun),
    "health+switch": s(firstRun, switched),
    router: s(switched, end),
  };
}

/** Times of the platform's log messages (pino JSON, ISO time) about one deployment. */
function platformEvents(output: string, deploymentId: string): Map<string, number> {
  const events = new Map<string, number>();
  for (const line of output.split("\n")) {
    if (!line.includes(deploymentId)) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; time?: string; state?: string };
      const key = entry.state ? `${entry.msg} ${entry.state}` : entry.msg;
      if (key && entry.time && !events.has(key)) events.set(key, Date.parse(entry.time));
    } catch {
      // Not a log line of ours (e.g. a partial write): nothing to time.
    }
  }
  return events;
}

const fmt = (p: Phases) =>
  Object.entries(p)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(", ");

/** ROUNDS pairs, alternating which side goes first; returns the median of the per-round ratios. */
async function measureMode(
  mode: "warm" | "cold",
  deploy: (side: "kli8nt" | "raw", nonce: string) => Promise<Sample>,
): Promise<number> {
  const pairs: Array<{ k: Sample; r: Sample }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const nonce = `${mode[0]}${round}${randomBytes(3).toString("hex")}`;
    const order = round % 2 === 1 ? (["kli8nt", "raw"] as const) : (["raw", "kli8nt"] as const);
    const out: { kli8nt?: Sample; raw?: Sample } = {};
    for (const side of order) out[side] = await deploy(side, `${nonce}${side[0]}`);
    const { kli8nt: k, raw: r } = out as { kli8nt: Sample; raw: Sample };
    pairs.push({ k, r });
    console.log(
      `${mode} round ${round} (${order.join(" then ")}, load ${load()}): kli8nt ${k.seconds.toFixed(2)} s ` +
        `[${fmt(k.phases)}, cached steps ${k.cached}] | by hand ${r.seconds.toFixed(2)} s [${fmt(r.phases)}, cached steps ${r.cached}] | ratio ${(k.seconds / r.seconds).toFixed(3)}`,
    );
  }
  const ratio = median(pairs.map((p) => p.k.seconds / p.r.seconds));
  console.log(
    `${mode}: kli8nt median ${median(pairs.map((p) => p.k.seconds)).toFixed(2)} s, by hand median ` +
      `${median(pairs.map((p) => p.r.seconds)).toFixed(2)} s, median of paired ratios ${ratio.toFixed(3)}`,
  );
  return ratio;
}

async function main(): Promise<void> {
  console.log(
    `deploy bench: ${ROUNDS} rounds × ${MODES.join("+")}, by hand ${RAW_NICE ? "with" : "without"} nice, load average ${load()}`,
  );
  const github = await startFakeGitHub();
  github.addUser({ login: "bench" });
  const dataDir = await mkdtemp(join(tmpdir(), "kli8nt-bench-deploy-"));
  const ports = { api: await freePort(), router: await freePort() };
  const platform = await startPlatform(
    { ...platformEnv(dataDir, ports.router, env), KLI8NT_LOG_LEVEL: "info" },
    ports,
  );
  const api = platformApi(() => platform.api);
  const ratios: Record<string, number> = {};
  try {
    // Warm-up (not measured): base layers of the unchanged sample, tsx caches, PGlite, podman's network.
    const warm = randomBytes(3).toString("hex");
    await throughKli8nt(github, platform, api, `w${warm}`, "warm");
    await byHand(github, `w${warm}h`, "warm");
    for (const mode of MODES)
      ratios[mode] = await measureMode(mode, (side, nonce) =>
        side === "kli8nt" ? throughKli8nt(github, platform, api, nonce, mode) : byHand(github, nonce, mode),
      );
  } finally {
    await platform.stop();
    await github.stop();
    await rm(dataDir, { recursive: true, force: true });
    // Kli8nt's own per-release tags (the bench's apps are gone); the base images stay.
    for (const app of appsDeployed) {
      const ids = await run("podman", ["images", "-q", "--filter", `reference=localhost/kli8nt-apps/${app}`]);
      for (const id of new Set(ids.stdout.split("\n").filter(Boolean)))
        await run("podman", ["rmi", "-f", id]).catch(() => undefined);
    }
  }
  console.log(`load average at the end: ${load()}`);
  console.log(`deploy_overhead_ratio: ${Math.max(...Object.values(ratios)).toFixed(3)}`);
}

await main();
