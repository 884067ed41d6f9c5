import { createHash } from "node:crypto";

/**
 * Directory name for an app's segments: lowercase letters, digits and '-' kept, every other character
 * written as '_' + 4 hex digits (so the mapping is injective and safe on case-insensitive file systems);
 * names that would be too long for a file name become a SHA-256.
 */
export function appDirName(appId: string): string {
  const encoded = appId.replace(/[^a-z0-9-]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (encoded.length <= 200) return `app-${encoded}`;
  return `app-h-${createHash("sha256").update(appId).digest("hex")}`;
}
