import { createHash } from "node:crypto";

const MAX = 63;

/**
 * An app's namespace: `<prefix><app>`; when that is over 63 characters (a preview `<app>-pr-<n>` of a long app
 * name, behind a long prefix), the prefix, the name cut, and 8 hex of the full name's SHA-256, so two long
 * names never share a namespace and the admission policy's prefix test still admits it (ADR 0202).
 */
export function appNamespace(prefix: string, appName: string): string {
  const plain = `${prefix}${appName}`;
  if (plain.length <= MAX) return plain;
  const digest = createHash("sha256").update(appName).digest("hex").slice(0, 8);
  const head = appName.slice(0, Math.max(MAX - prefix.length - digest.length - 1, 0)).replace(/-+$/, "");
  return head ? `${prefix}${head}-${digest}` : `${prefix}${digest}`;
}
