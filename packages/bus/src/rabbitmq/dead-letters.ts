import type { ConsumeMessage, Message, Options } from "amqplib";
import type { DeadLetter, QueueName } from "../bus.ts";
import { stringHeaders } from "../codec.ts";

export const REASON_HEADER = "x-kli8nt-reason";
const ATTEMPTS_HEADER = "x-kli8nt-attempts";
const AT_HEADER = "x-kli8nt-dead-lettered-at";

/** Properties of the dead-letter copy: the original's, plus why and when it was dead-lettered. */
export function deadLetterProperties(m: ConsumeMessage, reason: string, attempts: number): Options.Publish {
  const p = m.properties;
  return {
    persistent: true,
    contentType: p.contentType,
    ...(typeof p.messageId === "string" ? { messageId: p.messageId } : {}),
    ...(typeof p.type === "string" ? { type: p.type } : {}),
    headers: {
      ...stringHeaders(p.headers),
      [REASON_HEADER]: reason,
      [ATTEMPTS_HEADER]: attempts,
      [AT_HEADER]: new Date().toISOString(),
    },
  };
}

interface XDeath {
  reason?: unknown;
  count?: unknown;
  time?: unknown;
}

/** Reads a message of a dead-letter queue, whether we put it there or the broker did (x-death). */
export function toDeadLetter(queue: QueueName, m: Message): DeadLetter {
  const h = m.properties.headers ?? {};
  const death = (Array.isArray(h["x-death"]) ? h["x-death"][0] : undefined) as XDeath | undefined;
  const ours = typeof h[REASON_HEADER] === "string";
  const reason = ours
    ? String(h[REASON_HEADER])
    : `dead-lettered by the broker: ${String(death?.reason ?? "unknown")}`;
  const attempts = ours ? Number(h[ATTEMPTS_HEADER]) : Number(h["x-delivery-count"] ?? death?.count ?? 0);
  return {
    queue,
    id: typeof m.properties.messageId === "string" ? m.properties.messageId : undefined,
    type: typeof m.properties.type === "string" ? m.properties.type : undefined,
    headers: stringHeaders(h),
    reason,
    attempts,
    rawBody: m.content.toString("utf8"),
    deadLetteredAt: typeof h[AT_HEADER] === "string" ? h[AT_HEADER] : brokerTime(death?.time),
  };
}

function brokerTime(time: unknown): string {
  // amqplib decodes AMQP timestamps as seconds since the epoch.
  return typeof time === "number" ? new Date(time * 1000).toISOString() : new Date().toISOString();
}
