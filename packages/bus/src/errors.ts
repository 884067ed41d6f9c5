import { type ErrorKind, Kli8ntError } from "@kli8nt/core";

/** Stable codes of the errors the bus throws or recognises. */
export type BusErrorCode = "BUS_CLOSED" | "BUS_UNAVAILABLE" | "MESSAGE_INVALID" | "PUBLISH_REJECTED";

/** An error of the bus, matched on `code` (never on `instanceof`). */
export class BusError extends Kli8ntError {
  declare readonly code: BusErrorCode;

  constructor(code: BusErrorCode, message: string, options?: { cause?: unknown }) {
    super(KINDS[code], code, message, options);
  }
}

const KINDS: Record<BusErrorCode, ErrorKind> = {
  BUS_CLOSED: "unavailable",
  BUS_UNAVAILABLE: "unavailable",
  MESSAGE_INVALID: "input",
  PUBLISH_REJECTED: "unavailable",
};

/**
 * Thrown by a handler for a message that can never succeed (bad content, unknown type): the message goes
 * straight to the dead-letter queue instead of being retried.
 */
export class MessageInvalidError extends BusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MESSAGE_INVALID", message, options);
  }
}

/**
 * A handler failure that retrying cannot fix: `code` MESSAGE_INVALID, an explicit `retryable: false`, or a
 * core error of kind `input` or `terminal` (InputError, TerminalError).
 */
export function isPoisonError(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { code, retryable, kind } = err as { code?: unknown; retryable?: unknown; kind?: unknown };
  return code === "MESSAGE_INVALID" || retryable === false || kind === "input" || kind === "terminal";
}

/** A short, safe description of a handler failure for the dead-letter reason. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const prefix = typeof code === "string" ? `${code}: ` : "";
    return truncate(`${prefix}${err.message}`);
  }
  return truncate(String(err));
}

export function truncate(text: string, max = 1000): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
