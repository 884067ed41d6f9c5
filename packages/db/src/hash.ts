import { createHash, randomBytes } from "node:crypto";

/** Tokens are 256 random bits, so a plain SHA-256 is a safe lookup key (no slow hash needed). */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}
