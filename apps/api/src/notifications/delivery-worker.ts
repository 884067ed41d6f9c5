import { claimDueDeliveries, type Db, recordAttempt, type SecretBox } from "@kli8nt/db";
import type { Logger } from "pino";
import { sweepDeploymentEvents } from "./deployment-events.ts";
import { sweepDomainEvents } from "./domain-events.ts";
import { type SenderOptions, sendDelivery } from "./senders.ts";

export interface DeliveryPolicy {
  /** Attempts before a delivery is marked failed. */
  readonly maxAttempts: number;
  /** The wait after the first failure; it doubles after each, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** How often due deliveries and recent deployment changes are looked at. */
  readonly pollMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 10_000,
  maxDelayMs: 10 * 60_000,
  pollMs: 2_000,
};

export interface DeliveryWorkerDeps {
  readonly db: Db;
  readonly box: SecretBox;
  readonly logger: Pick<Logger, "info" | "warn">;
  readonly senders: SenderOptions;
  readonly policy?: Partial<DeliveryPolicy>;
  readonly now?: () => Date;
}

/** The wait before attempt `attempt + 1`: base × 2^(attempt − 1), capped. */
export function backoffMs(policy: DeliveryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

// Longer than the slowest send (timeouts included), so a claimed row is not sent twice by two replicas.
const LEASE_MS = 60_000;
// Deployment changes this recent are swept for events the INFORM path did not queue.
const SWEEP_WINDOW_MS = 15 * 60_000;

/**
 * Sends queued notifications (ADR 0186): polls the durable queue (and is kicked when something is queued),
 * retries failures with exponential backoff, and marks a delivery failed after `maxAttempts`. Rows survive
 * restarts; a row claimed by a worker that died is due again when its lease ends.
 */
export class DeliveryWorker {
  readonly #deps: DeliveryWorkerDeps;
  readonly #policy: DeliveryPolicy;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  constructor(deps: DeliveryWorkerDeps) {
    this.#deps = deps;
    this.#policy = { ...DEFAULT_DELIVERY_POLICY, ...deps.policy };
  }

  start(): void {
    this.#stopped = false;
    this.kick();
  }

  /** Runs a pass now (or right after the one under way). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#pass().finally(() => {
      this.#running = undefined;
      if (this.#stopped) return;
      if (this.#again) {
        this.#again = false;
        this.kick();
      } else this.#timer = setTimeout(() => this.kick(), this.#policy.pollMs);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #pass(): Promise<void> {
    try {
      const now = this.#now();
      await sweepDeploymentEvents(this.#deps.db, now, SWEEP_WINDOW_MS);
      await sweepDomainEvents(this.#deps.db, now, SWEEP_WINDOW_MS);
      while (!this.#stopped && (await this.runDue()) > 0);
    } catch (err) {
      this.#deps.logger.warn({ err }, "Notification pass failed; will retry");
    }
  }

  /** Sends every delivery due now, a batch at a time; returns how many were attempted. */
  async runDue(): Promise<number> {
    const now = this.#now();
    const due = await claimDueDeliveries(this.#deps.db, this.#deps.box, now, {
      limit: 20,
      leaseMs: LEASE_MS,
    });
    await Promise.all(
      due.map(async (delivery) => {
        const result = await sendDelivery(delivery, this.#deps.senders);
        const attempt = delivery.attempts + 1;
        const giveUp = !result.ok && attempt >= this.#policy.maxAttempts;
        const retryAt =
          result.ok || giveUp ? null : new Date(this.#now().getTime() + backoffMs(this.#policy, attempt));
        await recordAttempt(this.#deps.db, delivery.id, { ...result, retryAt }, this.#now());
        const fields = { deliveryId: delivery.id, event: delivery.event, attempt, status: result.status };
        if (result.ok) this.#deps.logger.info(fields, "Delivered notification");
        else
          this.#deps.logger.warn(
            { ...fields, error: result.error, retryAt },
            giveUp ? "Gave up on notification" : "Notification delivery failed; will retry",
          );
      }),
    );
    return due.length;
  }

  #now(): Date {
    return this.#deps.now?.() ?? new Date();
  }
}
