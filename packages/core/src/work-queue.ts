import { isKli8ntError } from "./errors.ts";

/** What a reconcile asks for: nothing (converged), or another look after a delay. */
export interface ReconcileResult {
  readonly requeueAfterMs?: number;
}

export type Reconcile = (key: string) => Promise<ReconcileResult | undefined>;

/** Time and timers, injected so tests drive the queue with a fake clock. */
export interface QueueClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: QueueClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface WorkQueueOptions {
  readonly reconcile: Reconcile;
  /** Called once for a key whose reconcile threw a `terminal` error: record it; the key is not retried. */
  readonly onTerminal?: (key: string, error: unknown) => void | Promise<void>;
  /** Called for every transient failure before the key is requeued with backoff (for logging). */
  readonly onError?: (key: string, error: unknown, retryInMs: number) => void;
  readonly workers?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly clock?: QueueClock;
}

/** Per-key exponential backoff: base doubling per consecutive failure, capped. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

/**
 * A keyed work queue in the style of controller-runtime's: a key waits at most once (adding it again is
 * a no-op), one key never runs twice at once (added while running, it runs again afterwards), a throw
 * requeues it after a per-key backoff (100 ms doubling to 5 min, reset on success, no attempt limit), and
 * a `terminal` Kli8ntError is handed to `onTerminal` and not retried.
 */
export class WorkQueue {
  readonly #o: Required<Omit<WorkQueueOptions, "onTerminal" | "onError">> & WorkQueueOptions;
  readonly #ready: string[] = [];
  readonly #queued = new Set<string>();
  readonly #running = new Set<string>();
  /** Keys added while they ran: they run again once the current run ends. */
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, unknown>();
  /** Keys whose timer is a failure's backoff: a resync must not cut it short (a requeue-after may be). */
  readonly #backingOff = new Set<string>();
  readonly #idle = new Set<() => void>();
  #active = 0;
  #stopped = false;

  constructor(options: WorkQueueOptions) {
    this.#o = {
      workers: 2,
      baseDelayMs: 100,
      maxDelayMs: 5 * 60_000,
      clock: systemClock,
      ...options,
    };
  }

  /** Enqueues `key` now, unless it already waits in line or out a failure's backoff. */
  add(key: string): void {
    if (this.#stopped || this.#queued.has(key) || this.#backingOff.has(key)) return;
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#queued.add(key);
    this.#ready.push(key);
    this.#pump();
  }

  /** Enqueues `key` after `ms`; an earlier pending timer for it wins. */
  addAfter(key: string, ms: number): void {
    if (this.#stopped || this.#timers.has(key)) return;
    const handle = this.#o.clock.setTimeout(() => {
      this.#timers.delete(key);
      this.#backingOff.delete(key);
      this.add(key);
    }, ms);
    this.#timers.set(key, handle);
  }

  /** Consecutive failures of `key` (0 after a success). */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Resolves once nothing runs or waits in line (timers may still be pending). */
  drained(): Promise<void> {
    if (this.#active === 0 && this.#ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  /** Stops taking keys and cancels pending timers; running reconciles finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const handle of this.#timers.values()) this.#o.clock.clearTimeout(handle);
    this.#timers.clear();
    this.#backingOff.clear();
    this.#ready.length = 0;
    this.#queued.clear();
    await this.drained();
  }

  #pump(): void {
    while (!this.#stopped && this.#active < this.#o.workers) {
      const index = this.#ready.findIndex((k) => !this.#running.has(k));
      if (index < 0) break;
      const [key] = this.#ready.splice(index, 1);
      if (key === undefined) break;
      this.#queued.delete(key);
      this.#running.add(key);
      this.#active++;
      void this.#run(key);
    }
    if (this.#active === 0 && this.#ready.length === 0) {
      for (const resolve of this.#idle) resolve();
      this.#idle.clear();
    }
  }

  async #run(key: string): Promise<void> {
    try {
      const result = await this.#o.reconcile(key);
      this.#failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      await this.#failed(key, error);
    } finally {
      this.#running.delete(key);
      this.#active--;
      if (this.#dirty.delete(key)) this.add(key);
      this.#pump();
    }
  }

  async #failed(key: string, error: unknown): Promise<void> {
    if (isKli8ntError(error) && error.kind === "terminal") {
      this.#failures.delete(key);
      try {
        await this.#o.onTerminal?.(key, error);
      } catch (recordError) {
        // Recording the failure is itself work to retry: the key comes back with backoff.
        this.#retry(key, recordError);
      }
      return;
    }
    this.#retry(key, error);
  }

  #retry(key: string, error: unknown): void {
    const failures = this.failures(key) + 1;
    this.#failures.set(key, failures);
    const delay = backoffDelay(failures, this.#o.baseDelayMs, this.#o.maxDelayMs);
    this.#o.onError?.(key, error, delay);
    // A newer add() while it ran must not skip the backoff: the timer is the key's one way back in.
    this.#dirty.delete(key);
    const pending = this.#timers.get(key);
    if (pending !== undefined) this.#o.clock.clearTimeout(pending);
    this.#timers.delete(key);
    this.addAfter(key, delay);
    this.#backingOff.add(key);
  }
}
