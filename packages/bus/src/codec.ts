import type { BusMessage } from "./bus.ts";
import { MessageInvalidError } from "./errors.ts";

/** Serializes a body to the bytes that travel; refuses what JSON cannot carry faithfully. */
export function encodeBody(message: BusMessage): Buffer {
  if (!message.id || !message.type) throw new MessageInvalidError("a message needs an id and a type");
  let json: string | undefined;
  try {
    json = JSON.stringify(message.body);
  } catch (err) {
    throw new MessageInvalidError(`body of ${message.type} is not JSON-serializable`, { cause: err });
  }
  if (json === undefined) throw new MessageInvalidError(`body of ${message.type} is not JSON-serializable`);
  return Buffer.from(json, "utf8");
}

/** Keeps only string-valued headers: what the port promises to handlers. */
export function stringHeaders(
  headers: Readonly<Record<string, unknown>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (typeof v === "string" && !k.startsWith("x-")) out[k] = v;
  }
  return out;
}
