import { type Db, rollupMetrics } from "@kli8nt/db";
import type { Logger } from "pino";

const EVERY_MS = 10 * 60_000;

/**
 * Keeps metric storage bounded (ADR 0185): every 10 minutes, 1-minute points older than 7 days are folded
 * into hours and hours older than 90 days deleted. Safe on every replica at once (one transaction each).
 */
export function startMetricsRetention(db: Db, logger: Pick<Logger, "info" | "warn">): { stop(): void } {
  const run = () =>
    rollupMetrics(db, new Date())
      .then((r) => {
        if (r.rolledUp + r.pruned > 0) logger.info(r, "Rolled up metrics");
      })
      .catch((err: unknown) => logger.warn({ err }, "Metrics rollup failed; will retry"));
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  void run();
  return { stop: () => clearInterval(timer) };
}
