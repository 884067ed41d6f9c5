import { CliError, createApiClient } from "../client/api-client.ts";
import { flag, parseArgs, requirePositional } from "../client/args.ts";
import { resolveCredentials } from "../client/credentials.ts";
import type { RemoteContext } from "./remote.ts";

interface Point {
  readonly t: string;
  readonly requests: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly status: Record<"1xx" | "2xx" | "3xx" | "4xx" | "5xx", number>;
  readonly cpu: number | null;
  readonly memoryBytes: number | null;
  readonly restarts: number;
}

interface MetricsView {
  readonly from: string;
  readonly to: string;
  readonly step: number;
  readonly series: { process: string; points: Point[] }[];
  readonly deploys: { number: number; state: string; t: string }[];
}

const RANGES: Record<string, number> = { "1h": 3600, "24h": 86_400, "7d": 7 * 86_400 };
const BARS = " ▁▂▃▄▅▆▇█";
const USAGE = "kli8nt metrics <app> [--range 1h|24h|7d] [--json]";

/** `kli8nt metrics <app>`: requests, errors, latency, CPU and memory per process over a range. */
export async function metricsCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const args = parseArgs(argv, ["json"]);
  const app = requirePositional(args, 0, "app name");
  const range = flag(args, "range") ?? "1h";
  const span = RANGES[range];
  if (!span) throw new CliError(`--range takes 1h, 24h or 7d; usage: ${USAGE}`, "USAGE");
  const client = ctx.client ?? createApiClient(resolveCredentials(ctx.env));
  const to = Math.floor(Date.now() / 60_000) * 60;
  const path = `/api/apps/${encodeURIComponent(app)}/metrics`;
  const series = await client.request<MetricsView>(
    "GET",
    `${path}?from=${to - span}&to=${to}&step=${span / 30}`,
  );
  if (args.flags.has("json")) {
    ctx.io.stdout.write(`${JSON.stringify(series)}\n`);
    return 0;
  }
  // One step over the whole range: the percentiles of every request in it, not an average of steps.
  const whole = await client.request<MetricsView>("GET", `${path}?from=${to - span}&to=${to}&step=${span}`);
  ctx.io.stdout.write(`${app}, last ${range}\n`);
  if (series.series.length === 0) ctx.io.stdout.write("  no requests or samples recorded yet\n");
  for (const s of series.series) {
    const total = whole.series.find((w) => w.process === s.process)?.points[0];
    ctx.io.stdout.write(summary(s.process, s.points, total, span));
  }
  for (const d of series.deploys) ctx.io.stdout.write(`  deploy v${d.number} ${d.state} at ${d.t}\n`);
  return 0;
}

function summary(process: string, points: Point[], total: Point | undefined, span: number): string {
  const requests = total?.requests ?? 0;
  const errors = total?.status["5xx"] ?? 0;
  const memory = Math.max(0, ...points.map((p) => p.memoryBytes ?? 0));
  const cpus = points.flatMap((p) => (p.cpu === null ? [] : [p.cpu]));
  const cpu = cpus.length > 0 ? cpus.reduce((a, b) => a + b, 0) / cpus.length : null;
  const ms = (v: number | null | undefined) => (v === null || v === undefined ? "-" : `${v} ms`);
  return [
    `  ${process}`,
    `    requests  ${requests} (${(requests / span).toFixed(2)}/s)  ${sparkline(points.map((p) => p.requests))}`,
    `    5xx       ${errors} (${requests > 0 ? ((100 * errors) / requests).toFixed(1) : "0.0"}%)`,
    `    latency   p50 ${ms(total?.p50Ms)}  p95 ${ms(total?.p95Ms)}  p99 ${ms(total?.p99Ms)}`,
    `    cpu       ${cpu === null ? "-" : `${cpu.toFixed(2)} cores`}  memory ${memory > 0 ? `${(memory / 1e6).toFixed(1)} MB` : "-"}`,
    "",
  ].join("\n");
}

/** Unicode bars scaled to the highest value. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  if (max === 0) return "";
  return values.map((v) => BARS[Math.round((v / max) * (BARS.length - 1))] ?? " ").join("");
}
