import type { LogBackend, LogCursor } from "./backend.ts";
import type { LogFilter, ReadOptions, ReadResult } from "./logstore.ts";
import type { LogRecord, StoredLogRecord } from "./record.ts";

const DEFAULT_LIMIT = 1_000;
const MAX_LIMIT = 10_000;
/** A filtered read stops scanning after this many records, so one request stays bounded. */
const MAX_SCAN = 100_000;

export function matchesFilter(record: LogRecord, filter: LogFilter): boolean {
  return (
    (filter.phase === undefined || record.phase === filter.phase) &&
    (filter.deployment === undefined || record.deploymentId === filter.deployment)
  );
}

function isFiltered(filter: LogFilter): boolean {
  return filter.phase !== undefined || filter.deployment !== undefined;
}

/** Reads [from, end) until `limit` records match; returns them and the offset after the last one scanned. */
async function scan(
  cursor: LogCursor,
  from: number,
  end: number,
  limit: number,
  filter: LogFilter,
): Promise<{ records: StoredLogRecord[]; next: number }> {
  const records: StoredLogRecord[] = [];
  let next = from;
  while (next < end && records.length < limit && next - from < MAX_SCAN) {
    const page = await cursor.take(Math.min(limit, end - next), { waitMs: 5_000 });
    if (page.records.length === 0) break;
    for (const record of page.records) {
      if (record.offset >= end || records.length >= limit) return { records, next };
      next = record.offset + 1;
      if (matchesFilter(record, filter)) records.push(record);
    }
  }
  return { records, next };
}

export async function readRecords(
  backend: LogBackend,
  appId: string,
  options: ReadOptions,
): Promise<ReadResult> {
  const limit = Math.min(Math.max(options.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
  const { start, end } = await backend.bounds(appId);
  if (options.from === undefined && options.tail !== undefined) {
    return readTail(backend, appId, { start, end }, Math.min(options.tail, limit), options);
  }
  const from = Math.max(options.from ?? start, start);
  if (from >= end) return { records: [], next: Math.max(from, end), end };
  const cursor = backend.openCursor(appId, from);
  try {
    const { records, next } = await scan(cursor, from, end, limit, options);
    return { records, next, end };
  } finally {
    await cursor.close();
  }
}

/** The last `tail` matching records: scans windows that grow backwards until enough match. */
async function readTail(
  backend: LogBackend,
  appId: string,
  bounds: { start: number; end: number },
  tail: number,
  filter: LogFilter,
): Promise<ReadResult> {
  const { start, end } = bounds;
  let window = tail;
  for (;;) {
    const from = Math.max(start, end - window);
    const cursor = backend.openCursor(appId, from);
    try {
      const { records } = await scan(cursor, from, end, MAX_LIMIT * 10, filter);
      if (records.length >= tail || from === start || !isFiltered(filter) || window >= MAX_SCAN) {
        return { records: records.slice(-tail), next: end, end };
      }
    } finally {
      await cursor.close();
    }
    window *= 4;
  }
}

/** First offset of the last `tail` records matching `filter` (used to start a subscription). */
export async function tailStart(
  backend: LogBackend,
  appId: string,
  tail: number,
  filter: LogFilter,
): Promise<number> {
  const bounds = await backend.bounds(appId);
  if (tail <= 0) return bounds.end;
  const result = await readTail(backend, appId, bounds, tail, filter);
  return result.records[0]?.offset ?? bounds.end;
}
