// Layer-cache benchmark (issue 26): cold build of a realistic Node app vs a redeploy after a one-line source
// change, side by side in one run. Fixture: packages/buildplan/fixtures/js-sveltekit-node (SvelteKit with
// adapter-node: 112 packages in its lockfile, counting transitive ones, and a `vite build` step).
// Builds with the flags the platform's buildah builder uses (apps/build-controller/src/buildah/buildah-builder.ts:
// --layers, --isolation oci, --network private, CA volume, registry build args), run from here because
// @kli8nt/buildplan/testing's buildImage uses chroot isolation. Prints each build's context prep (copy +
// detect + render), each Dockerfile step and the commit, 3 interleaved rounds, medians.
// Needs buildah/podman and local base images; starts them through scripts/infra/containers.sh when the
// KLI8NT_TEST_* variables are not set. Last line: `rebuild_vs_cold_ratio: <r>` (target ≤ 0.10).
import { execFileSync, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BUILD_CA_PATH, registryBuildArgs } from "@kli8nt/buildplan";
import {
  type ContainerEnv,
  type PreparedContext,
  prepareContext,
  runImage,
  waitForHttp,
} from "@kli8nt/buildplan/testing";

const root = join(import.meta.dirname, "..");
const fixture = join(root, "packages/buildplan/fixtures/js-sveltekit-node");
const sourceFile = "src/routes/+page.svelte";

function containerEnv(): ContainerEnv {
  let vars = process.env;
  if (vars.KLI8NT_TEST_BASE_IMAGES === undefined) {
    const script =
      'source scripts/infra/containers.sh && start_containers >&2 && node -e "console.log(JSON.stringify(process.env))"';
    vars = JSON.parse(
      execFileSync("bash", ["-c", script], { cwd: root, stdio: ["ignore", "pipe", "inherit"] }).toString(),
    );
  }
  return {
    baseImages: JSON.parse(vars.KLI8NT_TEST_BASE_IMAGES ?? "{}") as Record<string, string>,
    npmRegistry: vars.KLI8NT_TEST_NPM_REGISTRY ?? "https://registry.npmjs.org/",
    caFile: vars.KLI8NT_TEST_CA_FILE ?? "/etc/ssl/certs/ca-certificates.crt",
  };
}

interface BuildTiming {
  prep: number;
  /** Seconds per Dockerfile step (from its STEP line to the next), keyed by the step's text. */
  steps: [string, number][];
  commit: number;
  total: number;
}

/** The platform's buildah argv (buildah-builder.ts), with the bench's extra args (e.g. --no-cache). */
function buildahArgv(ctx: PreparedContext, tag: string, env: ContainerEnv, extra: string[]): string[] {
  const registry = registryBuildArgs({ npmRegistry: env.npmRegistry, caFile: BUILD_CA_PATH });
  return [
    "bud",
    "--layers",
    ...extra,
    "--isolation",
    "oci",
    "--network",
    "private",
    "--volume",
    `${env.caFile}:${BUILD_CA_PATH}:ro`,
    ...Object.entries(registry).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
    "-f",
    ctx.dockerfilePath,
    "-t",
    tag,
    ctx.dir,
  ];
}

/** Runs buildah at low priority (as the builder does) and timestamps its STEP / COMMIT lines. */
function buildahTimed(argv: string[]): Promise<{ steps: [string, number][]; commit: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn("nice", ["-n", "10", "buildah", ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    const marks: [string, number][] = [];
    let tail = "";
    let buf = "";
    const onData = (chunk: Buffer) => {
      const now = performance.now();
      buf += chunk.toString();
      tail = (tail + chunk.toString()).slice(-8000);
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) {
        const m = /^(?:\[\d+\/\d+\] )?(STEP \d+\/\d+: .*|COMMIT\b.*)$/.exec(line.trim());
        // A stage built FROM another stage shows that stage's image id, which changes per build: name it.
        if (m?.[1]) marks.push([m[1].replace(/FROM [0-9a-f]{64}/, "FROM <earlier stage>").slice(0, 70), now]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => {
      const end = performance.now();
      if (code !== 0) return reject(new Error(`buildah bud exited ${code}:\n${tail}`));
      const steps: [string, number][] = [];
      let commit = 0;
      marks.forEach(([label, t], i) => {
        const next = marks[i + 1]?.[1] ?? end;
        if (label.startsWith("COMMIT")) commit += (next - t) / 1000;
        else steps.push([label, (next - t) / 1000]);
      });
      resolve({ steps, commit });
    });
  });
}

async function build(
  tag: string,
  env: ContainerEnv,
  edit: string | null,
  extra: string[],
): Promise<BuildTiming> {
  const t0 = performance.now();
  // A redeploy starts from a fresh checkout, plan and render, so each build prepares its own context.
  const ctx = await prepareContext(fixture, env);
  try {
    if (edit !== null) await writeFile(join(ctx.dir, sourceFile), edit);
    const prep = (performance.now() - t0) / 1000;
    const { steps, commit } = await buildahTimed(buildahArgv(ctx, tag, env, extra));
    return { prep, steps, commit, total: (performance.now() - t0) / 1000 };
  } finally {
    await ctx.cleanup();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function report(name: string, runs: BuildTiming[]): number {
  const total = median(runs.map((r) => r.total));
  console.log(`${name}: total_s ${total.toFixed(2)} (median of ${runs.length})`);
  console.log(`  prep (copy+detect+render)  ${median(runs.map((r) => r.prep)).toFixed(2)}`);
  // Stages may run in a different order from one build to the next, so steps are matched by text (and by
  // occurrence, for a text two stages share), not by position.
  const keyed = (r: BuildTiming) => {
    const seen = new Map<string, number>();
    return new Map(
      r.steps.map(([label, s]) => {
        const n = (seen.get(label) ?? 0) + 1;
        seen.set(label, n);
        return [`${label}#${n}`, s] as const;
      }),
    );
  };
  const maps = runs.map(keyed);
  for (const key of maps[0]?.keys() ?? []) {
    const label = key.replace(/#1$/, "");
    console.log(`  ${label.padEnd(72)} ${median(maps.map((m) => m.get(key) ?? Number.NaN)).toFixed(2)}`);
  }
  console.log(`  commit (final image)       ${median(runs.map((r) => r.commit)).toFixed(2)}`);
  return total;
}

// This machine is shared, so one sample of each is noise: take the median of several, interleaved.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const env = containerEnv();
const tag = "localhost/kli8nt-bench/buildcache:latest";
const original = await readFile(join(fixture, sourceFile), "utf8");
const marker = "rendered by {data.renderedBy}";
if (!original.includes(marker)) throw new Error(`${sourceFile} no longer has "${marker}"`);
const runId = Date.now().toString(36);
const colds: BuildTiming[] = [];
const rebuilds: BuildTiming[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    // Cold: --no-cache on this side only, so no app layer is reused (npm ci and vite build both run); the
    // base images are not touched.
    colds.push(await build(tag, env, null, ["--no-cache"]));
    // Redeploy after a one-line source change, with the layer cache the cold build just left.
    // The edit is new to this run (run id + round): text some earlier run built would hit its cached layers.
    const edit = original.replace(marker, `rendered again (${runId}.${round}) by {data.renderedBy}`);
    rebuilds.push(await build(tag, env, edit, []));
    console.log(
      `round ${round}: cold_s ${colds.at(-1)?.total.toFixed(2)} rebuild_s ${rebuilds.at(-1)?.total.toFixed(2)}`,
    );
  }
  const container = await runImage(tag);
  try {
    const res = await waitForHttp(container.url, 30_000);
    if (!res.body.includes(`rendered again (${runId}.${ROUNDS}) by`))
      throw new Error(`rebuilt image serves ${res.body}`);
  } finally {
    await container.stop();
  }
  const cold = report("cold", colds);
  const rebuild = report("rebuild", rebuilds);
  console.log(`cold_build_s: ${cold.toFixed(2)} (median of ${ROUNDS})`);
  console.log(`rebuild_s: ${rebuild.toFixed(2)} (median of ${ROUNDS})`);
  console.log(`rebuild_vs_cold_ratio: ${(rebuild / cold).toFixed(3)}`);
} finally {
  // The base images and cached layers stay (they are the point); the bench's own tag does not.
  execFileSync("podman", ["rmi", "-f", tag], { stdio: "ignore" });
}
