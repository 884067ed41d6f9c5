import { Counter, Gauge, Registry } from "prom-client";

/**
 * What only a process sees (not the database), for GET /metrics: in `kli8nt start` the controllers run in
 * the api's process and report here. One registry per process, merged into every api's at scrape time.
 */
export const processSignals = new Registry();

const reconcileErrors = new Counter({
  name: "kli8nt_reconcile_errors_total",
  help: "Reconciles that failed and were requeued with backoff, per queue (deploy, app), since the process started",
  labelNames: ["queue"],
  registers: [processSignals],
});
for (const queue of ["deploy", "app"]) reconcileErrors.inc({ queue }, 0);

const logLag = new Gauge({
  name: "kli8nt_log_pipeline_lag_seconds",
  help: "Age of the oldest line in the last batch of app log lines appended to the log store",
  registers: [processSignals],
});

/** Counts one failed reconcile of `queue` (the deploy controller's onReconcileError). */
export function countReconcileError(queue: "deploy" | "app"): void {
  reconcileErrors.inc({ queue });
}

/** Records how far behind a batch of log lines reached the store: now minus its oldest line's time. */
export function observeLogLag(timestamps: readonly string[], now = Date.now()): void {
  let oldest = Number.POSITIVE_INFINITY;
  for (const t of timestamps) oldest = Math.min(oldest, Date.parse(t));
  if (Number.isFinite(oldest)) logLag.set(Math.max(0, (now - oldest) / 1000));
}
