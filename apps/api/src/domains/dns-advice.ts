import type { DomainRow } from "@kli8nt/db";

/** Where the app already answers: its default host, from the app URL template. */
export function defaultHostOf(appUrlTemplate: string, appName: string): string {
  return new URL(appUrlTemplate.replaceAll("{app}", appName)).hostname;
}

/** The apps domain: the default host of an app without its own label. */
export function appsDomainOf(appUrlTemplate: string): string {
  const host = new URL(appUrlTemplate.replaceAll("{app}", "x")).hostname;
  return host.startsWith("x.") ? host.slice(2) : host;
}

// Without a public suffix list, a name of two labels (example.com) is taken as an apex: those cannot
// hold a CNAME next to their SOA and NS records.
const isApex = (hostname: string) => hostname.replace(/^\*\./, "").split(".").length === 2;

/** What the user has to do in DNS for this domain. */
export function dnsAdvice(hostname: string, defaultHost: string): string {
  if (isApex(hostname)) {
    return `Create an A record (and AAAA, if the platform has IPv6) for ${hostname} pointing at the address ${defaultHost} resolves to, or an ALIAS/ANAME record to ${defaultHost} if your DNS provider has one`;
  }
  return `Create a CNAME record ${hostname} → ${defaultHost}`;
}

/** The `detail` of a domain's view: the DNS step while it is not active, and why it failed if it did. */
export function domainDetail(row: DomainRow, defaultHost: string): string {
  const dns = dnsAdvice(row.hostname, defaultHost);
  if (row.status === "active") {
    const until = row.certNotAfter ? ` until ${row.certNotAfter.toISOString()}` : "";
    const renewal = row.detail ? ` (last renewal failed: ${row.detail})` : "";
    return `Served over HTTPS with a certificate valid${until}; HTTP redirects to HTTPS${renewal}`;
  }
  if (row.status === "error") {
    // A wildcard without the operator's DNS-01 hook is never ordered (ADR 0230): nothing is retried for it.
    const retry = row.wildcard && row.attempts === 0 ? "" : "; it is retried automatically";
    return `The certificate could not be obtained: ${row.detail ?? "unknown reason"}. ${dns}${retry}. Served over HTTP meanwhile`;
  }
  // A pending row's detail is why the certificate's challenge has not passed yet (Kubernetes, ADR 0224).
  const check = row.detail ? `. The last check said: ${row.detail}` : "";
  return `${dns}; the certificate is requested once it resolves here. Served over HTTP meanwhile${check}`;
}
