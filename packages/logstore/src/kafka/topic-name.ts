import { createHash } from "node:crypto";

/** Kafka topic names allow [a-zA-Z0-9._-] and at most 249 characters. */
const MAX_TOPIC_LENGTH = 249;

/**
 * Topic of an app's log: the prefix, then the app id with lowercase letters, digits and '-' kept and
 * every other character written as '_' + 4 hex digits (injective, and free of '.', so two apps can
 * never collide, not even in Kafka's metric names where '.' and '_' are confused); too long → SHA-256.
 */
export function topicName(appId: string, prefix = "kli8nt.logs."): string {
  const encoded = appId.replace(/[^a-z0-9-]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const name = `${prefix}${encoded}`;
  if (name.length <= MAX_TOPIC_LENGTH) return name;
  return `${prefix}h-${createHash("sha256").update(appId).digest("hex")}`;
}
