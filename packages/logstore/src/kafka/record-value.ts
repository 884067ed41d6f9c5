import type { LogRecord, StoredLogRecord } from "../record.ts";

/** Message value: the record as JSON without the app id (the topic says it) and without the offset. */
export function encodeValue(record: LogRecord): string {
  const { appId: _appId, ...rest } = record;
  return JSON.stringify(rest);
}

export function decodeValue(value: Buffer | null, appId: string, offset: number): StoredLogRecord {
  const parsed = JSON.parse(value?.toString("utf8") ?? "{}") as Omit<LogRecord, "appId">;
  return { ...parsed, appId, offset };
}
