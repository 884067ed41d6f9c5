import { createHmac, timingSafeEqual } from "node:crypto";

/** `sha256=<hex>` as GitHub puts in `X-Hub-Signature-256`. */
export function signWebhookBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * Checks `X-Hub-Signature-256` against the raw request body in constant time. Verify the exact bytes
 * received, before any JSON parsing: re-serialized JSON would not match.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string | Uint8Array,
  header: string | string[] | null | undefined,
): boolean {
  if (typeof header !== "string" || secret === "" || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = Buffer.from(signWebhookBody(secret, body).slice("sha256=".length), "hex");
  const received = Buffer.from(header.slice("sha256=".length), "hex");
  return received.length === expected.length && timingSafeEqual(received, expected);
}
