import { isKli8ntError, Kli8ntError } from "@kli8nt/core";

/**
 * Stable codes for everything that can go wrong talking to GitHub. Callers match on `code`; the api maps
 * them to answers (GITHUB_UNAUTHORIZED → the "reconnect GitHub" state).
 */
export type GitHubErrorCode =
  | "GITHUB_UNAUTHORIZED"
  | "GITHUB_FORBIDDEN"
  | "GITHUB_NOT_FOUND"
  | "GITHUB_INVALID_REQUEST"
  | "GITHUB_RATE_LIMITED"
  | "GITHUB_UNAVAILABLE"
  | "GITHUB_OAUTH_REJECTED";

/** Safe details only: never a token, never request headers. */
export interface GitHubErrorDetails extends Readonly<Record<string, unknown>> {
  status?: number;
  /** GitHub's own message or OAuth `error` code. */
  githubMessage?: string;
  /** When a rate limit resets (ISO time). */
  resetAt?: string;
  /** What the user should do, for the UI. */
  action?: "reconnect-github" | "retry-later";
}

/**
 * Kind `unavailable` whatever the code: the api maps each code to its own answer at its edge
 * (apps/api/src/github/api-errors.ts); one that escapes is GitHub failing us, not the caller's fault.
 */
export class GitHubError extends Kli8ntError {
  declare readonly code: GitHubErrorCode;
  declare readonly details: GitHubErrorDetails;

  constructor(
    code: GitHubErrorCode,
    message: string,
    opts: { cause?: unknown; details?: GitHubErrorDetails } = {},
  ) {
    super("unavailable", code, message, { cause: opts.cause, details: { ...opts.details } });
  }
}

export function isGitHubError(err: unknown, code?: GitHubErrorCode): err is GitHubError {
  return (
    isKli8ntError(err) &&
    err.name === "GitHubError" &&
    (code === undefined || (err as GitHubError).code === code)
  );
}

interface HttpFailure {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function githubMessageOf(data: unknown): string | undefined {
  if (typeof data === "object" && data !== null && "message" in data) {
    const m = (data as { message: unknown }).message;
    return typeof m === "string" ? m : undefined;
  }
  return undefined;
}

function rateLimited(status: number, headers: Record<string, string | number | undefined>, message: string) {
  if (status !== 403 && status !== 429) return undefined;
  const remaining = headers["x-ratelimit-remaining"];
  const retryAfter = headers["retry-after"];
  if (
    status === 403 &&
    String(remaining) !== "0" &&
    retryAfter === undefined &&
    !/rate limit/i.test(message)
  ) {
    return undefined;
  }
  if (retryAfter !== undefined) return new Date(Date.now() + Number(retryAfter) * 1000).toISOString();
  const reset = Number(headers["x-ratelimit-reset"]);
  return Number.isFinite(reset) && reset > 0
    ? new Date(reset * 1000).toISOString()
    : new Date().toISOString();
}

function byStatus(status: number, what: string, githubMessage: string): [GitHubErrorCode, string] {
  if (status === 404) return ["GITHUB_NOT_FOUND", `Not found on GitHub: ${what}`];
  if (status === 403) return ["GITHUB_FORBIDDEN", `GitHub refused ${what}`];
  return ["GITHUB_INVALID_REQUEST", `GitHub rejected ${what}: ${githubMessage}`];
}

/** Turns an Octokit RequestError (or a network failure) into a GitHubError with a stable code. */
export function toGitHubError(err: unknown, what: string): GitHubError {
  if (isGitHubError(err)) return err;
  const failure = (typeof err === "object" && err !== null ? err : {}) as HttpFailure;
  // Without a response the request never completed: connection refused, DNS, timeout.
  const status = failure.response ? failure.status : undefined;
  const githubMessage = githubMessageOf(failure.response?.data) ?? "";
  const base: GitHubErrorDetails = { ...(status !== undefined ? { status } : {}) };
  if (githubMessage) base.githubMessage = githubMessage;
  if (status === undefined || status >= 500) {
    const details: GitHubErrorDetails = { ...base, action: "retry-later" };
    return new GitHubError("GITHUB_UNAVAILABLE", `GitHub is unavailable (${what})`, { cause: err, details });
  }
  if (status === 401) {
    const details: GitHubErrorDetails = { ...base, action: "reconnect-github" };
    const message = "GitHub access was revoked or expired: reconnect GitHub";
    return new GitHubError("GITHUB_UNAUTHORIZED", message, { cause: err, details });
  }
  const resetAt = rateLimited(status, failure.response?.headers ?? {}, githubMessage);
  if (resetAt !== undefined) {
    const details: GitHubErrorDetails = { ...base, resetAt, action: "retry-later" };
    return new GitHubError("GITHUB_RATE_LIMITED", `GitHub rate limit reached (${what})`, {
      cause: err,
      details,
    });
  }
  const [code, message] = byStatus(status, what, githubMessage);
  return new GitHubError(code, message, { cause: err, details: base });
}
