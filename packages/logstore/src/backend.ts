import type { LogRecord, StoredLogRecord } from "./record.ts";

/** Offsets currently kept for an app: records [start, end). */
export type LogBounds = { readonly start: number; readonly end: number };

export type CursorPage = {
  /** Records from the cursor's position on, in offset order; the first may be past the position when
   * earlier ones were removed by retention. */
  readonly records: StoredLogRecord[];
  /** Offset the next appended record will get, as known when the page was taken. */
  readonly end: number;
  /** Set when the store was closed: no record will come through this cursor any more. */
  readonly closed?: boolean;
};

/** A reader positioned at an offset of one app's log. */
export type LogCursor = {
  /** Up to `max` records from the position on; waits while there are none, returns an empty page when
   * `signal` aborts or `waitMs` elapses. Advances the position past the returned records. */
  take(max: number, options: { signal?: AbortSignal; waitMs?: number }): Promise<CursorPage>;
  /** Moves the position (forward or back). */
  seek(offset: number): void;
  close(): Promise<void>;
};

/**
 * What an adapter implements; createLogStore adds validation, splitting, filters, tail and
 * subscriptions on top, so both adapters share those semantics exactly.
 */
export type LogBackend = {
  /** Stores records that are already validated and split; resolves with their offsets once stored. */
  append(appId: string, records: readonly LogRecord[]): Promise<number[]>;
  bounds(appId: string): Promise<LogBounds>;
  openCursor(appId: string, from: number): LogCursor;
  close(): Promise<void>;
};
