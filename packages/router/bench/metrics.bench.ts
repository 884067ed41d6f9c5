/**
 * bench:metrics — the router with request metrics on against the same router with them off, side by side
 * in one run, same upstream, same load tool (ADR 0215).
 *
 *   npx tsx packages/router/bench/metrics.bench.ts     (KLI8NT_BENCH_SECONDS=10 KLI8NT_BENCH_CONNECTIONS=32 KLI8NT_BENCH_ROUNDS=5)
 *
 * Two router processes, one created with a metrics sink as `kli8nt start` creates it (counts per app and
 * minute, flushed every 10 s; the sink keeps the batch instead of writing the database, whose write every
 * 10 s is not per-request work), one without. wrk drives each in turn, ABBA order, after a warm-up;
 * figures are medians. The last line is the figure: metrics_on_vs_off_throughput_ratio (target ≥ 0.95).
 */
import {
  CONNECTIONS,
  ensureTools,
  fmt,
  type Load,
  load,
  median,
  ROUNDS,
  SECONDS,
  spawnRouter,
  spawnServer,
  stopChildren,
  UPSTREAM_JS,
} from "./harness.ts";

type Mode = "on" | "off";

async function main(): Promise<void> {
  ensureTools();
  const upstream = await spawnServer(process.execPath, ["-e", UPSTREAM_JS]);
  const targets: Record<Mode, { port: number; pid: number }> = {
    on: await spawnRouter(upstream.port, true),
    off: await spawnRouter(upstream.port, false),
  };
  console.log(
    `wrk -t1 -c${CONNECTIONS}, ${SECONDS}s x ${ROUNDS} rounds each, ABBA order; two router processes, metrics on and off`,
  );
  for (const mode of ["on", "off"] as const) await load(targets[mode].port, 2, targets[mode].pid);
  const runs: Record<Mode, Load[]> = { on: [], off: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    const order: Mode[] = round % 2 === 0 ? ["on", "off"] : ["off", "on"];
    for (const mode of order) {
      const r = await load(targets[mode].port, SECONDS, targets[mode].pid);
      runs[mode].push(r);
      console.log(
        `round ${round + 1} metrics ${mode.padEnd(3)} ${fmt(r.rps).padStart(6)} req/s  p50 ${fmt(r.p50us)} µs  ` +
          `p99 ${fmt(r.p99us)} µs  ${fmt(r.cpuPerRequestUs, 1)} µs CPU/req  non-2xx/errors ${r.bad}  ` +
          `load ${fmt(r.load1, 1)}  steal ${fmt(r.stealPct, 1)} %`,
      );
    }
  }
  const rps = (mode: Mode): number => median(runs[mode].map((r) => r.rps));
  const cpu = (mode: Mode): number => median(runs[mode].map((r) => r.cpuPerRequestUs));
  const perRound = runs.on.map((r, i) => fmt(r.rps / (runs.off[i]?.rps ?? Number.NaN), 2));
  const loads = runs.on.concat(runs.off).map((r) => r.load1);
  console.log(`throughput (median): metrics on ${fmt(rps("on"))} req/s, off ${fmt(rps("off"))} req/s`);
  console.log(`router CPU per request (median): on ${fmt(cpu("on"), 1)} µs, off ${fmt(cpu("off"), 1)} µs`);
  console.log(
    `per-round ratios ${perRound.join(", ")}; load average ${fmt(Math.min(...loads), 1)}–${fmt(Math.max(...loads), 1)}`,
  );
  await stopChildren();
  console.log(`metrics_on_vs_off_throughput_ratio: ${(rps("on") / rps("off")).toFixed(2)}`);
}

await main();
process.exit(0);
