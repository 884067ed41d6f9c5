import { api } from "./client.ts";

export type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx";

export interface MetricPoint {
  readonly t: string;
  readonly requests: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly status: Record<StatusClass, number>;
  readonly cpu: number | null;
  readonly memoryBytes: number | null;
  readonly restarts: number;
}

export interface AppMetrics {
  readonly from: string;
  readonly to: string;
  readonly step: number;
  readonly series: { readonly process: string; readonly points: MetricPoint[] }[];
  readonly deploys: {
    readonly id: string;
    readonly number: number;
    readonly state: string;
    readonly t: string;
  }[];
}

export interface MetricsSummary {
  readonly apps: {
    readonly app: string;
    readonly points: { t: string; requests: number; errors: number }[];
  }[];
}

export const RANGES = { "1h": 3600, "24h": 86_400, "7d": 7 * 86_400 } as const;
export type Range = keyof typeof RANGES;

/** ~60 points over the range, ending at the current minute. */
export function getAppMetrics(name: string, range: Range): Promise<AppMetrics> {
  const span = RANGES[range];
  const to = Math.ceil(Date.now() / 60_000) * 60;
  const query = new URLSearchParams({ from: String(to - span), to: String(to), step: String(span / 60) });
  return api<AppMetrics>("GET", `/api/apps/${encodeURIComponent(name)}/metrics?${query}`);
}

export const getMetricsSummary = () => api<MetricsSummary>("GET", "/api/metrics/summary");
