import { setTimeout as sleep } from "node:timers/promises";
import { isGitHubError } from "./github-error.ts";

export interface RetryOptions {
  /** Total attempts including the first (default 5). */
  attempts?: number;
  /** First backoff; doubles each time (default 500 ms). */
  baseDelayMs?: number;
  /** Cap for one wait, also for waiting out a rate limit (default 60 s). */
  maxDelayMs?: number;
  /** Injected for tests. */
  delay?: (ms: number) => Promise<unknown>;
  now?: () => number;
}

/**
 * Runs `fn`, retrying only what can get better by waiting: GITHUB_UNAVAILABLE (backoff doubling from
 * `baseDelayMs`) and GITHUB_RATE_LIMITED (until `resetAt`, capped). Everything else is thrown at once:
 * a revoked token or a missing repo does not heal. Meant for deployment status updates, which must not
 * block a deploy: run it without awaiting it on the deploy path.
 */
export async function retryGitHub<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const delay = opts.delay ?? ((ms: number) => sleep(ms));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const wait = waitBeforeRetry(err, attempt, attempts, opts);
      if (wait === undefined) throw err;
      await delay(wait);
    }
  }
}

/** How long to wait before attempt `attempt + 1`, or undefined when the error is final. */
function waitBeforeRetry(
  err: unknown,
  attempt: number,
  attempts: number,
  opts: RetryOptions,
): number | undefined {
  const retryable = isGitHubError(err, "GITHUB_UNAVAILABLE") || isGitHubError(err, "GITHUB_RATE_LIMITED");
  if (!retryable || attempt >= attempts) return undefined;
  const backoff = (opts.baseDelayMs ?? 500) * 2 ** (attempt - 1);
  const resetAt = err.details.resetAt ? Date.parse(err.details.resetAt) : 0;
  const untilReset = resetAt - (opts.now ?? Date.now)();
  return Math.min(Math.max(backoff, untilReset), opts.maxDelayMs ?? 60_000);
}
