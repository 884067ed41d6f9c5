// The router's latency histogram bounds and percentile: the stored buckets are the router's, so the api
// reads them with the router's own definitions (ADR 0185, 0215).
// Only the histogram module: the router's index loads undici's llhttp files, which the api image lacks.
export { LATENCY_BOUNDS_MS, percentile } from "@kli8nt/router/request-metrics";
