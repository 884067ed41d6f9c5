// The router's latency histogram bounds and percentile: the stored buckets are the router's, so the api
// reads them with the router's own definitions (ADR 0185, 0215).
export { LATENCY_BOUNDS_MS, percentile } from "@kli8nt/router";
