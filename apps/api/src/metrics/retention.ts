import { type Db, pruneDeliveries, rollupMetrics } from "@kli8nt/db";
import type { Logger } from "pino";

const EVERY_MS = 10 * 60_000;
/** Finished notification deliveries are listed this long (ADR 0186). */
const DELIVERY_RETENTION_MS = 30 * 24 * 3_600_000;

/**
 * Keeps metric storage bounded (ADR 0185): every 10 minutes, 1-minute points older than 7 days are folded
 * into hours and hours older than 90 days deleted, and notification deliveries finished more than 30 days
 * ago go. Safe on every replica at once (one transaction each).
 */
export function startMetricsRetention(db: Db, logger: Pick<Logger, "info" | "warn">): { stop(): void } {
  const run = async () => {
    try {
      const now = new Date();
      const r = await rollupMetrics(db, now);
      if (r.rolledUp + r.pruned > 0) logger.info(r, "Rolled up metrics");
      const deliveries = await pruneDeliveries(db, new Date(now.getTime() - DELIVERY_RETENTION_MS));
      if (deliveries > 0) logger.info({ deliveries }, "Deleted old notification deliveries");
    } catch (err) {
      logger.warn({ err }, "Metrics retention failed; will retry");
    }
  };
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  void run();
  return { stop: () => clearInterval(timer) };
}
