import type { Channel } from "amqplib";
import { QUEUE_NAMES, type QueueName, type RetryPolicy } from "../bus.ts";

/** Physical names on the broker for one prefix (tests use a unique prefix per run). */
export interface Names {
  readonly queue: (q: QueueName) => string;
  readonly deadLetterQueue: (q: QueueName) => string;
  readonly deadLetterExchange: string;
}

export function namesFor(prefix: string): Names {
  return {
    queue: (q) => `${prefix}${q}`,
    deadLetterQueue: (q) => `${prefix}${q}.dlq`,
    deadLetterExchange: `${prefix}dead-letter`,
  };
}

/**
 * Declares the durable quorum queues and their dead-letter queues. Idempotent, so it runs again on every
 * reconnect. The consumer dead-letters exhausted messages itself (to record the reason); the broker's
 * delivery limit, set a little above the attempts, is the backstop for messages that crash consumers.
 */
export async function declareTopology(channel: Channel, names: Names, policy: RetryPolicy): Promise<void> {
  await channel.assertExchange(names.deadLetterExchange, "direct", { durable: true });
  for (const q of QUEUE_NAMES) {
    const dlq = names.deadLetterQueue(q);
    await channel.assertQueue(dlq, { durable: true, arguments: { "x-queue-type": "quorum" } });
    await channel.bindQueue(dlq, names.deadLetterExchange, names.queue(q));
    await channel.assertQueue(names.queue(q), {
      durable: true,
      arguments: {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": names.deadLetterExchange,
        "x-dead-letter-routing-key": names.queue(q),
        "x-delivery-limit": deliveryLimit(policy),
      },
    });
  }
}

/** Returns to the queue (nacks, lost connections) the broker tolerates before dead-lettering on its own. */
export function deliveryLimit(policy: RetryPolicy): number {
  return policy.maxAttempts + 5;
}
