import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

/**
 * Webhook and Slack destinations are typed by tenants, and the api sends to them from inside the
 * platform: to 127.0.0.1 they reach the api's own and internal ports, the add-on PostgreSQL server,
 * RabbitMQ; to 169.254.169.254 the cloud's metadata service; and the receiver's status, kept per
 * delivery, tells open ports from closed ones. So, unless the operator allows private networks, an
 * address that is loopback, private, link-local, shared, reserved or multicast is refused, checked on
 * the address the connection actually uses (resolved once, so DNS cannot answer differently later).
 */
const PRIVATE = new BlockList();
const V4: [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 3],
];
const V6: [string, number][] = [
  ["::", 127],
  ["64:ff9b::", 96],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
];
for (const [net, prefix] of V4) PRIVATE.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of V6) PRIVATE.addSubnet(net, prefix, "ipv6");

/** True for an address a tenant's notification may not be sent to; anything that is not an IP counts. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  // BlockList also matches IPv4 against IPv6 rules as ::ffff:a.b.c.d, so a mapped address is judged by
  // its IPv4 part rather than by a ::ffff:0:0/96 rule (which would catch every IPv4 address).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, "ipv4");
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const n = (Number.parseInt(hex[1] ?? "0", 16) << 16) | Number.parseInt(hex[2] ?? "0", 16);
    return PRIVATE.check([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."), "ipv4");
  }
  return PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

export const PRIVATE_DESTINATION =
  "The receiver is on a loopback, private or link-local address; Kli8nt sends notifications only to public addresses (an operator can allow private ones with KLI8NT_NOTIFY_PRIVATE_NETWORKS=true)";

/** An error whose message is safe to store as the delivery's reason. */
export class PrivateDestinationError extends Error {
  readonly code = "NOTIFY_DESTINATION_PRIVATE";
  constructor() {
    super(PRIVATE_DESTINATION);
    this.name = "PrivateDestinationError";
  }
}

/** A `lookup` for http.request that resolves as usual, then refuses private addresses. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, "", 0);
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) {
      return callback(new PrivateDestinationError(), "", 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
};

/** Whether a URL names a private IP literal (or localhost) outright: refused before any lookup. */
export function namesPrivateHost(url: URL): boolean {
  const host = url.hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  return isIP(host) !== 0 && isPrivateAddress(host);
}
