import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Kli8ntError } from "@kli8nt/core";

/** Raised when a sealed token cannot be opened (wrong key, tampered, or bound to another owner). */
export class TokenUnreadableError extends Kli8ntError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("internal", "GITHUB_TOKEN_UNREADABLE", message, options);
  }
}

export interface TokenSealer {
  /** Encrypts a token for storage; `owner` (e.g. the user id) is bound in, so rows cannot be swapped. */
  seal(token: string, owner: string): string;
  open(sealed: string, owner: string): string;
}

/**
 * AES-256-GCM sealing of OAuth tokens at rest. The key is 32 bytes (base64 in configuration); output is
 * `v1.<iv>.<tag>.<ciphertext>` in base64url, with a fresh 96-bit IV per seal.
 */
export function createTokenSealer(key: Uint8Array | string): TokenSealer {
  const raw = typeof key === "string" ? Buffer.from(key, "base64") : Buffer.from(key);
  if (raw.length !== 32) throw new Error("token encryption key must be 32 bytes (base64 of 32 bytes)");
  return {
    seal(token, owner) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", raw, iv);
      cipher.setAAD(Buffer.from(owner));
      const ct = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
      return ["v1", iv, cipher.getAuthTag(), ct]
        .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
        .join(".");
    },
    open(sealed, owner) {
      const [version, iv, tag, ct] = sealed.split(".");
      if (version !== "v1" || !iv || !tag || ct === undefined)
        throw new TokenUnreadableError("not a sealed token");
      try {
        // Pinned tag length: a truncated tag would otherwise be accepted (and be far easier to forge).
        const authTag = Buffer.from(tag, "base64url");
        if (authTag.length !== 16) throw new TokenUnreadableError("authentication tag is not 16 bytes");
        const decipher = createDecipheriv("aes-256-gcm", raw, Buffer.from(iv, "base64url"), {
          authTagLength: 16,
        });
        decipher.setAAD(Buffer.from(owner));
        decipher.setAuthTag(authTag);
        return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString(
          "utf8",
        );
      } catch (err) {
        throw new TokenUnreadableError("sealed token failed authentication", { cause: err });
      }
    },
  };
}
