// Layer-cache benchmark: cold build of the Node sample vs a rebuild after a one-line source change, same run.
// Needs buildah/podman and local base images; starts them through scripts/infra/containers.sh when the
// KLI8NT_TEST_* variables are not set. Last line: `rebuild_vs_cold_ratio: <r>` (target ≤ 0.25).
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  buildImage,
  type ContainerEnv,
  prepareContext,
  runImage,
  waitForHttp,
} from "@kli8nt/buildplan/testing";

const root = join(import.meta.dirname, "..");

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

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

// This machine is shared, so one sample of each is noise: take the median of several, interleaved.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const env = containerEnv();
const ctx = await prepareContext(join(root, "packages/buildplan/fixtures/sample-node-server"), env);
const tag = "localhost/kli8nt-bench/buildcache:latest";
const server = join(ctx.dir, "server.js");
const original = await readFile(server, "utf8");
const colds: number[] = [];
const rebuilds: number[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    await writeFile(server, original);
    // Cold: no layer reuse at all (--no-cache), so dependency install and build both run.
    colds.push(await timed(() => buildImage(ctx, tag, env, ["--no-cache"])));
    // One-line source change, then a normal (cached) build.
    await writeFile(server, original.replace("hello from node", `hello again (${round}) from node`));
    rebuilds.push(await timed(() => buildImage(ctx, tag, env)));
    console.log(
      `round ${round}: cold_s ${colds.at(-1)?.toFixed(2)} rebuild_s ${rebuilds.at(-1)?.toFixed(2)}`,
    );
  }
  const container = await runImage(tag);
  try {
    const res = await waitForHttp(container.url, 30_000);
    if (!res.body.startsWith(`hello again (${ROUNDS}) from node`))
      throw new Error(`rebuilt image serves ${res.body}`);
  } finally {
    await container.stop();
  }
  const cold = median(colds);
  const rebuild = median(rebuilds);
  console.log(`cold_build_s: ${cold.toFixed(2)} (median of ${ROUNDS})`);
  console.log(`rebuild_s: ${rebuild.toFixed(2)} (median of ${ROUNDS})`);
  console.log(`rebuild_vs_cold_ratio: ${(rebuild / cold).toFixed(3)}`);
} finally {
  await ctx.cleanup();
  // The base images and cached layers stay (they are the point); the bench's own tag does not.
  execFileSync("podman", ["rmi", "-f", tag], { stdio: "ignore" });
}
