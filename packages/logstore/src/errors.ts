/** Stable codes of the errors this package throws; callers match on `code`, not on the class. */
export type LogStoreErrorCode =
  | "LOGSTORE_INVALID_RECORD"
  | "LOGSTORE_INVALID_APP_ID"
  | "LOGSTORE_CLOSED"
  | "LOGSTORE_WRITE_FAILED"
  | "LOGSTORE_READ_FAILED"
  | "LOGSTORE_CORRUPT"
  | "LOGSTORE_UNAVAILABLE";

/** Error raised by a LogStore adapter; `details` never holds log lines (they may carry user data). */
export class LogStoreError extends Error {
  readonly code: LogStoreErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: LogStoreErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LogStoreError";
    this.code = code;
    this.details = Object.freeze({ ...options.details });
  }
}
