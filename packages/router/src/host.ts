/** What the Host header of a request names. */
export type HostMatch =
  | { kind: "app"; app: string }
  | { kind: "unknown"; host: string }
  | { kind: "bad"; reason: string };

// One DNS label: what an app name may be as a subdomain.
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// A reg-name or bracketed IPv6 literal, then an optional port. Anything else is not a Host we can route.
const HOST = /^([a-z0-9._-]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i;

// Visitors send a handful of distinct Host values; remembering the answer skips the regexes per request.
// By apps domain, then by Host value (no key string built per request).
const caches = new Map<string, Map<string, HostMatch>>();
const MAX_CACHED = 1024;

/** Finds the app in `<app>.<appsDomain>[:port]`; the port is ignored so port forwarding keeps working. */
export function matchHost(host: string | undefined, appsDomain: string): HostMatch {
  if (host === undefined) return parseHost(host, appsDomain);
  let cache = caches.get(appsDomain);
  if (cache === undefined) {
    cache = new Map();
    caches.set(appsDomain, cache);
  }
  const cached = cache.get(host);
  if (cached !== undefined) return cached;
  const match = parseHost(host, appsDomain);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(host, match);
  return match;
}

function parseHost(host: string | undefined, appsDomain: string): HostMatch {
  if (host === undefined || host === "") return { kind: "bad", reason: "the request has no Host header" };
  if (host.length > 255) return { kind: "bad", reason: "the Host header is too long" };
  // No host name has a comma: this is several Host fields joined (proxy-request.ts).
  if (host.includes(",")) return { kind: "bad", reason: "the request has more than one Host header" };
  const parts = HOST.exec(host);
  if (parts === null) return { kind: "bad", reason: "the Host header is not a valid host name" };
  if (parts[2] !== undefined && Number(parts[2]) > 65535) {
    return { kind: "bad", reason: "the Host header has an invalid port" };
  }
  // A trailing dot is the fully-qualified spelling of the same name.
  const name = (parts[1] ?? "").toLowerCase().replace(/\.$/, "");
  const suffix = `.${appsDomain}`;
  if (!name.endsWith(suffix)) return { kind: "unknown", host: name };
  const app = name.slice(0, -suffix.length);
  if (!LABEL.test(app)) return { kind: "unknown", host: name };
  return { kind: "app", app };
}
