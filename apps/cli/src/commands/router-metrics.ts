import { type Db, writeRequestMinutes } from "@kli8nt/db";
import type { RequestMetricsOptions } from "@kli8nt/router";

/**
 * The router's request counts into the metrics store (ADR 0185, 0215): each flush adds the minutes counted
 * since the last one to the stored 1-minute points of the app's `web` process. A failed write is logged and
 * its minutes are retried with the next flush.
 */
export function routerMetricsToStore(
  db: Db,
  logger: { warn(obj: object, msg: string): void },
  flushIntervalMs = 10_000,
): RequestMetricsOptions {
  return {
    sink: (minutes) => writeRequestMinutes(db, minutes),
    flushIntervalMs,
    onError: (err) => logger.warn({ err }, "Failed to write request metrics"),
  };
}
