/**
 * An app's Set-Cookie may name a parent domain (`Domain=apps.example.com`, or the dashboard's parent), and
 * the browser then sends that cookie to every other tenant's app under it, and to the dashboard when it
 * shares the parent: cookie tossing, session fixation of other apps, or oversized cookies that lock users
 * out of their neighbours. Browsers only stop this for domains on the Public Suffix List, which a
 * self-hosted apps domain is not. So the router drops a Domain attribute that reaches beyond the app:
 * on `<app>.<apps domain>` any Domain but the host itself, and on a custom domain any Domain that covers
 * the apps domain. Without its Domain the cookie is the app's own host's (ADR 0232).
 */
export function confineCookie(value: string, host: string, appsDomain: string): string {
  // Most cookies have no Domain attribute: one scan, no split.
  if (!/;\s*domain\s*=/i.test(value)) return value;
  const parts = value.split(";");
  const kept = parts.filter((part, i) => i === 0 || !widens(part, host, appsDomain));
  return kept.length === parts.length ? value : kept.join(";");
}

function widens(attribute: string, host: string, appsDomain: string): boolean {
  const eq = attribute.indexOf("=");
  if (eq === -1 || attribute.slice(0, eq).trim().toLowerCase() !== "domain") return false;
  // Browsers ignore a leading dot: `.example.com` is `example.com`.
  const domain = attribute
    .slice(eq + 1)
    .trim()
    .replace(/^\./, "")
    .toLowerCase();
  if (domain === host) return false;
  if (host.endsWith(`.${appsDomain}`)) return true;
  return domain === appsDomain || appsDomain.endsWith(`.${domain}`);
}

/** The request's host name as cookies see it: no port, lower case, no trailing dot. */
export function cookieHost(hostHeader: string | undefined): string {
  const host = (hostHeader ?? "").toLowerCase();
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":")[0] ?? "");
  return name.replace(/\.$/, "");
}
