import type { LogPhase, LogRecord, StoredLogRecord } from "./record.ts";

/** Filters shared by read and subscribe. */
export type LogFilter = {
  readonly phase?: LogPhase;
  readonly deployment?: string;
};

export type ReadOptions = LogFilter & {
  /** First offset to return (inclusive). Default: the oldest record kept. */
  readonly from?: number;
  /** Return the last `tail` matching records instead (ignored when `from` is given). */
  readonly tail?: number;
  /** At most this many records (default 1,000, at most 10,000). */
  readonly limit?: number;
};

export type ReadResult = {
  readonly records: StoredLogRecord[];
  /** Offset to pass as `from` for the following page; equals `end` once everything was read. */
  readonly next: number;
  /** Offset the next appended record will get. */
  readonly end: number;
};

export type SubscribeOptions = LogFilter & {
  /** First offset to deliver. Default: `end - tail` when `tail` is given, else live lines only. */
  readonly from?: number;
  readonly tail?: number;
  /**
   * How far (in records) a consumer may fall behind the newest line once it has caught up, before the
   * lines in between are skipped and a drop event is delivered instead. Default 10,000.
   */
  readonly maxLag?: number;
};

/** One event of a subscription: a record, or the notice that records were skipped. */
export type LogEvent =
  | { readonly type: "record"; readonly record: StoredLogRecord }
  | {
      readonly type: "dropped";
      /** Number of records skipped (too slow a consumer, or removed by retention before being read). */
      readonly dropped: number;
      /** Skipped offsets are [from, to): a client may read them while they are still kept. */
      readonly from: number;
      readonly to: number;
    };

/** History then live records of one app, in offset order, without gaps or repeats except drop events. */
export type LogSubscription = AsyncIterable<LogEvent> & {
  /** Ends the iteration (a pending `next()` resolves with `done`). */
  close(): Promise<void>;
};

/**
 * The log store port: an append-only log per app, addressed by offsets that only grow.
 * Adapters: `file` (embedded) and `kafka`; both pass `runLogStoreContract`.
 */
export type LogStore = {
  /**
   * Validates, splits lines over 16 KiB, stores, and returns the offset of every stored record (a split
   * line has several). The records must already be masked (see createSecretMasker / withSecretMasking).
   */
  append(appId: string, records: readonly LogRecord[]): Promise<number[]>;
  read(appId: string, options?: ReadOptions): Promise<ReadResult>;
  subscribe(appId: string, options?: SubscribeOptions): LogSubscription;
  /** Deletes every record of a deleted app (file: its segments; Kafka: its topic). */
  removeApp?(appId: string): Promise<void>;
  close(): Promise<void>;
};
