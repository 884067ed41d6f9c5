import { type Db, writeRequestMinutes } from "@kli8nt/db";
import type { RequestMetricsOptions } from "@kli8nt/router";

/**
 * The router's request counts into the metrics store (ADR 0185, 0215): each flush adds the minutes counted
 * since the last one to the stored 1-minute points of the app's `web` process. A failed write is logged and
 * its minutes are retried with the next flush. `onStored` gets the apps whose points changed, once per
 * flush, so their open Metrics tabs can be told over the events socket (ADR 0217).
 */
export function routerMetricsToStore(
  db: Db,
  logger: { warn(obj: object, msg: string): void },
  flushIntervalMs = 10_000,
  onStored: (appIds: readonly string[]) => void = () => undefined,
): RequestMetricsOptions {
  return {
    sink: async (minutes) => onStored(await writeRequestMinutes(db, minutes)),
    flushIntervalMs,
    onError: (err) => logger.warn({ err }, "Failed to write request metrics"),
  };
}
