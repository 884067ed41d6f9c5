import type { Db } from "./database.ts";
import { type Publish, relayOutboxBatch } from "./outbox.ts";

export interface OutboxRelayOptions {
  /** Safety net for rows committed by another process or left by a crash. */
  readonly pollIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Publishes outbox rows after commit. Writers call `kick()` after their transaction commits, so the common
 * path has no polling delay; the poll catches everything else.
 */
export class OutboxRelay {
  readonly #db: Db;
  readonly #publish: Publish;
  readonly #options: OutboxRelayOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(db: Db, publish: Publish, options: OutboxRelayOptions = {}) {
    this.#db = db;
    this.#publish = publish;
    this.#options = options;
  }

  start(): void {
    this.#stopped = false;
    const every = this.#options.pollIntervalMs ?? 1000;
    this.#timer = setInterval(() => this.kick(), every);
    this.#timer.unref();
    this.kick();
  }

  /** Runs a drain now, or once more after the current one if one is running. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    });
  }

  /** Resolves when everything committed so far has been published (used by tests and shutdown). */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
    await this.#drain();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      while ((await relayOutboxBatch(this.#db, this.#publish)) > 0) {
        if (this.#stopped) return;
      }
    } catch (error) {
      this.#options.onError?.(error);
    }
  }
}
