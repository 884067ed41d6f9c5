import { type ErrorKind, Kli8ntError } from "@kli8nt/core";

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
export class LogStoreError extends Kli8ntError {
  declare readonly code: LogStoreErrorCode;

  constructor(
    code: LogStoreErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(KINDS[code], code, message, {
      cause: options.cause,
      details: Object.freeze({ ...options.details }),
    });
  }
}

const KINDS: Readonly<Record<LogStoreErrorCode, ErrorKind>> = {
  LOGSTORE_INVALID_RECORD: "input",
  LOGSTORE_INVALID_APP_ID: "input",
  LOGSTORE_CLOSED: "unavailable",
  LOGSTORE_WRITE_FAILED: "internal",
  LOGSTORE_READ_FAILED: "internal",
  LOGSTORE_CORRUPT: "internal",
  LOGSTORE_UNAVAILABLE: "unavailable",
};
