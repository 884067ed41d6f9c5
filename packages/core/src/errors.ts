/**
 * Domain errors with a stable `code`. Packages throw these; only the API edge maps them to HTTP problems
 * (see apps/api/src/plugins/problem-json.ts). Match on `code`, not on `instanceof`.
 */
export type ErrorKind =
  | "input"
  | "not-found"
  | "conflict"
  | "not-allowed"
  | "unauthenticated"
  | "unavailable"
  /** Slow down: a rate or concurrency limit of the caller (429). */
  | "too-many-requests"
  | "terminal"
  | "internal";

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export interface Kli8ntErrorOptions {
  readonly cause?: unknown;
  /** Safe to show to the user: never secrets, tokens or stack traces. */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly issues?: readonly FieldIssue[];
}

export class Kli8ntError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Readonly<Record<string, unknown>>;
  readonly issues: readonly FieldIssue[];

  constructor(kind: ErrorKind, code: string, message: string, options: Kli8ntErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    this.details = options.details ?? {};
    this.issues = options.issues ?? [];
  }
}

export class InputError extends Kli8ntError {
  constructor(code: string, message: string, options?: Kli8ntErrorOptions) {
    super("input", code, message, options);
  }
}

export class NotFoundError extends Kli8ntError {
  constructor(code: string, message: string, options?: Kli8ntErrorOptions) {
    super("not-found", code, message, options);
  }
}

export class ConflictError extends Kli8ntError {
  constructor(code: string, message: string, options?: Kli8ntErrorOptions) {
    super("conflict", code, message, options);
  }
}

export class NotAllowedError extends Kli8ntError {
  constructor(code: string, message: string, options?: Kli8ntErrorOptions) {
    super("not-allowed", code, message, options);
  }
}

export class UnauthenticatedError extends Kli8ntError {
  constructor(code: string, message: string, options?: Kli8ntErrorOptions) {
    super("unauthenticated", code, message, options);
  }
}

export class UnavailableError extends Kli8ntError {
  constructor(code: string, message: string, options?: Kli8ntErrorOptions) {
    super("unavailable", code, message, options);
  }
}

/** A failure that retrying cannot fix: reconcilers record it as a condition and stop requeueing. */
export class TerminalError extends Kli8ntError {
  constructor(code: string, message: string, options?: Kli8ntErrorOptions) {
    super("terminal", code, message, options);
  }
}

export function isKli8ntError(value: unknown): value is Kli8ntError {
  return value instanceof Kli8ntError;
}

const STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  input: 400,
  "not-found": 404,
  conflict: 409,
  "not-allowed": 403,
  unauthenticated: 401,
  unavailable: 503,
  "too-many-requests": 429,
  terminal: 422,
  internal: 500,
};

/** The HTTP status an error kind maps to at the API edge. */
export function httpStatusOf(kind: ErrorKind): number {
  return STATUS_BY_KIND[kind];
}
