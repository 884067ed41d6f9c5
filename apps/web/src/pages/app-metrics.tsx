import { useMemo, useState } from "react";
import { type AppMetrics, getAppMetrics, type MetricPoint, RANGES, type Range } from "../api/metrics.ts";
import { ErrorAlert } from "../components/error-alert.tsx";
import { TimeChart } from "../components/time-chart.tsx";
import { useInterval, useLoad } from "../hooks.ts";
import { useCoalesced } from "../live/coalesced.ts";
import { useLiveEvents } from "../live/live-updates.ts";

const bytes = (v: number) =>
  v >= 1e9
    ? `${(v / 1e9).toFixed(1)} GB`
    : v >= 1e6
      ? `${(v / 1e6).toFixed(0)} MB`
      : `${(v / 1e3).toFixed(0)} kB`;
const ms = (v: number) => `${v} ms`;
const perSecond = (v: number) => `${v.toFixed(v < 10 ? 2 : 0)}/s`;
const percent = (v: number) => `${v.toFixed(0)}%`;
const cores = (v: number) => v.toFixed(2);

/** The app's request, latency and resource graphs over 1 h, 24 h or 7 d, with deploys marked. */
export function AppMetricsTab({ name }: { readonly name: string }) {
  const [range, setRange] = useState<Range>("1h");
  const metrics = useLoad(`metrics:${name}:${range}`, () => getAppMetrics(name, range));
  // Stored points are pushed as a hint (ADR 0217), at most one refetch per 5 s; a deploy of this app moves
  // the markers at once. The slow poll covers a socket that is down.
  const refresh = useCoalesced(metrics.reload, 5000);
  useInterval(metrics.reload, 60_000, true);
  useLiveEvents((event) => {
    if (event.type === "metrics-updated" && event.app === name) refresh();
    else if (event.type === "deployment" && event.app === name) metrics.reload();
  }, metrics.reload);
  return (
    <div className="metrics">
      <fieldset className="range-switch">
        <legend className="sr-only">Time range</legend>
        {(Object.keys(RANGES) as Range[]).map((r) => (
          <button
            key={r}
            type="button"
            className="button"
            aria-pressed={r === range}
            onClick={() => setRange(r)}
          >
            {r}
          </button>
        ))}
      </fieldset>
      <ErrorAlert error={metrics.error} onRetry={metrics.reload} />
      {metrics.loading && !metrics.data ? <p role="status">Loading metrics…</p> : null}
      {metrics.data ? <Charts data={metrics.data} /> : null}
    </div>
  );
}

/** Every step of the range, so a quiet minute shows as a gap rather than a line drawn across it. */
function stepTimes(data: AppMetrics): number[] {
  const from = Date.parse(data.from) / 1000;
  const to = Date.parse(data.to) / 1000;
  const times: number[] = [];
  for (let t = from; t < to; t += data.step) times.push(t);
  return times;
}

function Charts({ data }: { readonly data: AppMetrics }) {
  const times = useMemo(() => stepTimes(data), [data]);
  const span = useMemo(() => [Date.parse(data.from) / 1000, Date.parse(data.to) / 1000] as const, [data]);
  const markers = useMemo(
    () => data.deploys.map((d) => ({ t: Date.parse(d.t) / 1000, label: `v${d.number}` })),
    [data],
  );
  if (data.series.length === 0) {
    return (
      <p className="empty card">
        No requests or resource samples in this range yet. They appear here a minute after the app serves
        traffic through Kli8nt's router.
      </p>
    );
  }
  return (
    <>
      {data.series.map((s) => (
        <ProcessCharts
          key={s.process}
          process={s.process}
          points={s.points}
          times={times}
          step={data.step}
          markers={markers}
          span={span}
        />
      ))}
    </>
  );
}

interface ProcessChartsProps {
  readonly process: string;
  readonly points: readonly MetricPoint[];
  readonly times: readonly number[];
  readonly step: number;
  readonly markers: readonly { t: number; label: string }[];
  readonly span: readonly [number, number];
}

function ProcessCharts({ process, points, times, step, markers, span }: ProcessChartsProps) {
  const at = useMemo(() => new Map(points.map((p) => [Date.parse(p.t) / 1000, p])), [points]);
  const col = useMemo(
    () => (pick: (p: MetricPoint) => number | null) =>
      times.map((t) => {
        const p = at.get(t);
        return p ? pick(p) : null;
      }),
    [at, times],
  );
  const charts = useMemo(
    () => ({
      requests: [
        { label: "requests/s", values: col((p) => p.requests / step), color: "#2563eb" },
        { label: "5xx/s", values: col((p) => p.status["5xx"] / step), color: "#dc2626" },
      ],
      errors: [
        {
          label: "error rate",
          values: col((p) => (p.requests > 0 ? (100 * p.status["5xx"]) / p.requests : null)),
          color: "#dc2626",
        },
        {
          label: "4xx rate",
          values: col((p) => (p.requests > 0 ? (100 * p.status["4xx"]) / p.requests : null)),
          color: "#d97706",
        },
      ],
      latency: [
        { label: "p50", values: col((p) => p.p50Ms), color: "#16a34a" },
        { label: "p95", values: col((p) => p.p95Ms), color: "#d97706" },
        { label: "p99", values: col((p) => p.p99Ms), color: "#dc2626" },
      ],
      cpu: [{ label: "cores", values: col((p) => p.cpu), color: "#0891b2" }],
      memory: [{ label: "memory", values: col((p) => p.memoryBytes), color: "#7c3aed" }],
    }),
    [col, step],
  );
  return (
    <section className="metrics-process" aria-label={`${process} metrics`}>
      <h2 className="metrics-process-name">{process}</h2>
      <Summary points={points} />
      <div className="chart-grid">
        <TimeChart
          title="Requests"
          times={times}
          series={charts.requests}
          markers={markers}
          unit={perSecond}
        />
        <TimeChart
          title="Error rate"
          times={times}
          series={charts.errors}
          markers={markers}
          span={span}
          unit={percent}
        />
        <TimeChart
          title="Latency"
          times={times}
          series={charts.latency}
          markers={markers}
          span={span}
          unit={ms}
        />
        <TimeChart
          title="CPU (cores)"
          times={times}
          series={charts.cpu}
          markers={markers}
          span={span}
          unit={cores}
        />
        <TimeChart
          title="Memory"
          times={times}
          series={charts.memory}
          markers={markers}
          span={span}
          unit={bytes}
        />
      </div>
    </section>
  );
}

/** The range in one line: requests, the 5xx share and the newest p95, as the charts show them. */
function Summary({ points }: { readonly points: readonly MetricPoint[] }) {
  const requests = points.reduce((n, p) => n + p.requests, 0);
  const errors = points.reduce((n, p) => n + p.status["5xx"], 0);
  const p95 = points.findLast((p) => p.p95Ms !== null)?.p95Ms ?? null;
  return (
    <p className="metrics-summary" data-testid="metrics-summary">
      {requests.toLocaleString("en")} requests ·{" "}
      {requests > 0 ? `${((100 * errors) / requests).toFixed(1)}% errors` : "no errors"}
      {p95 !== null ? ` · p95 ${p95} ms (latest)` : ""}
    </p>
  );
}
