import type { LogBackend } from "./backend.ts";
import { LogStoreError } from "./errors.ts";
import type { LogStore } from "./logstore.ts";
import { readRecords } from "./read-records.ts";
import { type LogRecord, logRecordSchema } from "./record.ts";
import { splitLongLine } from "./split-line.ts";
import { openSubscription } from "./subscription.ts";

/** Builds the LogStore port on top of an adapter's backend. */
export function createLogStore(backend: LogBackend): LogStore {
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new LogStoreError("LOGSTORE_CLOSED", "Log store is closed");
  };
  return {
    async append(appId, records) {
      assertOpen();
      const prepared = prepareRecords(appId, records);
      return prepared.length === 0 ? [] : backend.append(appId, prepared);
    },
    async read(appId, options = {}) {
      assertOpen();
      return readRecords(backend, appId, options);
    },
    subscribe(appId, options = {}) {
      assertOpen();
      return openSubscription(backend, appId, options);
    },
    async close() {
      if (closed) return;
      closed = true;
      await backend.close();
    },
  };
}

/** Validates every record (all or nothing) and splits lines over the size limit. */
export function prepareRecords(appId: string, records: readonly LogRecord[]): LogRecord[] {
  const out: LogRecord[] = [];
  for (const [index, record] of records.entries()) {
    const parsed = logRecordSchema.safeParse(record);
    if (!parsed.success) {
      throw new LogStoreError("LOGSTORE_INVALID_RECORD", `Invalid log record at index ${index}`, {
        cause: parsed.error,
        details: { index, issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })) },
      });
    }
    if (parsed.data.appId !== appId) {
      throw new LogStoreError(
        "LOGSTORE_INVALID_RECORD",
        `Log record at index ${index} belongs to another app`,
        {
          details: { index },
        },
      );
    }
    out.push(...splitLongLine(parsed.data));
  }
  return out;
}
