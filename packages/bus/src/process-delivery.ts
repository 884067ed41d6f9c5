import type { BodySchema, DeliveryContext, MessageHandler, QueueName, RetryPolicy } from "./bus.ts";
import { describeError, isPoisonError, truncate } from "./errors.ts";

/** A message as an adapter received it, before decoding. */
export interface RawDelivery {
  readonly content: Buffer;
  readonly id: string | undefined;
  readonly type: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly attempt: number;
}

/** What the adapter must do with a delivery once the handler is done with it. */
export type DeliveryOutcome =
  | { readonly kind: "ack" }
  | { readonly kind: "retry"; readonly delayMs: number; readonly error: string }
  | { readonly kind: "dead-letter"; readonly reason: string };

/** Delay before redelivery attempt `attempt + 1`: exponential from the base, capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const exp = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, exp);
}

/**
 * Decodes, validates and hands one delivery to its handler, and says what to do with it. Shared by every
 * adapter so that ack, retry and dead-letter decisions are the same everywhere; it never throws.
 */
export async function processDelivery<T>(
  queue: QueueName,
  delivery: RawDelivery,
  schema: BodySchema<T>,
  handler: MessageHandler<T>,
  policy: RetryPolicy,
): Promise<DeliveryOutcome> {
  const decoded = decode(delivery, schema);
  if (!decoded.ok) return { kind: "dead-letter", reason: decoded.reason };
  const ctx: DeliveryContext = {
    queue,
    id: decoded.id,
    type: decoded.type,
    headers: delivery.headers,
    attempt: delivery.attempt,
  };
  try {
    const verdict = await handler(decoded.body, ctx);
    if (verdict && typeof verdict.deadLetter === "string") {
      return { kind: "dead-letter", reason: truncate(`handler: ${verdict.deadLetter}`) };
    }
    return { kind: "ack" };
  } catch (err) {
    return classifyFailure(err, delivery.attempt, policy);
  }
}

function classifyFailure(err: unknown, attempt: number, policy: RetryPolicy): DeliveryOutcome {
  const error = describeError(err);
  if (isPoisonError(err)) return { kind: "dead-letter", reason: `handler rejected the message: ${error}` };
  if (attempt >= policy.maxAttempts) {
    return { kind: "dead-letter", reason: `attempts exhausted (${attempt}): ${error}` };
  }
  return { kind: "retry", delayMs: backoffDelay(policy, attempt), error };
}

type Decoded<T> = { ok: true; id: string; type: string; body: T } | { ok: false; reason: string };

function decode<T>(delivery: RawDelivery, schema: BodySchema<T>): Decoded<T> {
  let json: unknown;
  try {
    json = JSON.parse(delivery.content.toString("utf8"));
  } catch (err) {
    return { ok: false, reason: truncate(`body is not valid JSON: ${describeError(err)}`) };
  }
  if (!delivery.id || !delivery.type) return { ok: false, reason: "message has no id or no type" };
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (i) => `${i.path.map(String).join(".") || "(body)"}: ${i.message}`,
    );
    return { ok: false, reason: truncate(`body failed validation: ${issues.join("; ")}`) };
  }
  return { ok: true, id: delivery.id, type: delivery.type, body: parsed.data };
}
