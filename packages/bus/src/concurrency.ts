/** Counts running handlers, bounds them, and lets `close()` wait for the last one. */
export class HandlerGate {
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  readonly #idle: Array<() => void> = [];

  constructor(readonly limit: number) {}

  get running(): number {
    return this.#running;
  }

  /** Waits for a free slot. Needed on top of broker prefetch: after a reconnect, old handlers still run. */
  async acquire(): Promise<void> {
    if (this.#running < this.limit) {
      this.#running++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) {
      next(); // the slot passes straight to the waiter
      return;
    }
    this.#running--;
    if (this.#running === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Resolves when no handler runs and none waits. */
  async drained(): Promise<void> {
    if (this.#running === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }
}

/** Sleeps `ms`, or less if the signal aborts (a closing bus must not wait out a retry backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
