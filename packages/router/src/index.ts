export { createRouter, type Router, type RouterOptions } from "./create-router.ts";
export { type DomainCertificatePem, type DomainEntry, DomainTable } from "./domain-table.ts";
export { MemoryRouteTable } from "./memory-route-table.ts";
export {
  LATENCY_BOUNDS_MS,
  type MetricsClock,
  percentile,
  type RequestMetricsOptions,
  type RequestMetricsSink,
  type RequestMinute,
  type StatusClass,
} from "./request-metrics.ts";
export type { RouteTable, RouteTarget } from "./route-table.ts";
export type { RouterLogger } from "./types.ts";
