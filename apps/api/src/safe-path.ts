/**
 * The request path as it may appear in a log line or a problem's `instance`: no query string (it can carry
 * codes and states) and no one-time sign-in token.
 */
export function safePath(url: string): string {
  const path = url.split("?")[0] ?? url;
  return path.replace(/^\/auth\/link\/[^/]+/, "/auth/link/[redacted]");
}
