import { InputError } from "@kli8nt/core";
import type { FastifyInstance } from "fastify";

/** Objects and arrays worth walking: raw bodies (the signed webhook payload) never are, byte by byte. */
const walkable = (value: unknown, depth: number): value is object =>
  typeof value === "object" && value !== null && !ArrayBuffer.isView(value) && depth <= 32;

/** The first place a NUL character hides in a parsed value: a dotted path, or null. */
export function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === "string") return value.includes("\u0000") ? path : null;
  if (!walkable(value, depth)) return null;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes("\u0000")) return path || "(a key)";
    const found = findNul(inner, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Refuses NUL characters in path parameters, the query and the body with a 400, before validation.
 * PostgreSQL text cannot hold NUL (it fails the query: a 500), no name, ref or value of ours needs one,
 * and a process environment or command line cannot carry one either.
 */
export function installRejectNul(app: FastifyInstance): void {
  app.addHook("preValidation", async (request) => {
    const parts = { params: request.params, querystring: request.query, body: request.body };
    for (const [part, value] of Object.entries(parts)) {
      const path = findNul(value, part);
      if (path) {
        throw new InputError("INPUT_INVALID", `${path}: must not contain NUL (\\u0000) characters`, {
          issues: [{ path, message: "must not contain NUL (\\u0000) characters" }],
        });
      }
    }
  });
}
