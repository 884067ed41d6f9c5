import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { InputError } from "@kli8nt/core";

const ALGORITHM = "aes-256-gcm";
const AUTH_TAG_BYTES = 16;
const VERSION = "v1";

/**
 * AES-256-GCM with a fresh 96-bit IV per value. The stored form is `v1.<iv>.<tag>.<ciphertext>` (base64url),
 * so the format can change without a migration. `context` (e.g. the row's id) is bound as associated data:
 * a ciphertext copied onto another row does not decrypt.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new InputError("SECRET_KEY_INVALID", "The secret key must be 32 bytes");
    this.#key = key;
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map(encodePart).join(".");
  }

  decrypt(sealed: string, context: string): string {
    const [version, iv, tag, ciphertext] = sealed.split(".");
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
      throw new InputError("SECRET_FORMAT_INVALID", "Stored secret has an unknown format");
    }
    // The tag length is pinned: GCM would otherwise accept a truncated tag (down to 4 bytes), which makes
    // forging a sealed value that decrypts a matter of 2^32 tries instead of 2^128.
    const authTag = Buffer.from(tag, "base64url");
    if (authTag.length !== AUTH_TAG_BYTES) {
      throw new InputError("SECRET_FORMAT_INVALID", "Stored secret has an invalid authentication tag");
    }
    const decipher = createDecipheriv(ALGORITHM, this.#key, Buffer.from(iv, "base64url"), {
      authTagLength: AUTH_TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(authTag);
    try {
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, "base64url")),
        decipher.final(),
      ]).toString("utf8");
    } catch (cause) {
      throw new InputError(
        "SECRET_DECRYPT_FAILED",
        "Stored secret does not decrypt with the configured key",
        {
          cause,
        },
      );
    }
  }
}

function encodePart(part: string | Buffer): string {
  return typeof part === "string" ? part : part.toString("base64url");
}
