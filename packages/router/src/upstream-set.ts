import type { RouteTarget } from "./route-table.ts";
import type { SweepClock } from "./sweep-clock.ts";
import { type UpstreamAddress, upstreamAddress } from "./upstream.ts";

type UpstreamTarget = Extract<RouteTarget, { kind: "upstream" }>;

/**
 * Upstreams that refused a connection recently, and until when they are skipped (ADR 0170). Shared by every
 * route of a router: two apps never share an address, and a replica that refuses one request refuses all.
 */
export class UpstreamHealth {
  readonly #downUntil = new Map<UpstreamAddress, number>();

  constructor(
    private readonly clock: SweepClock,
    /** How long a refusing upstream is skipped before it is tried again. */
    readonly downMs: number,
  ) {}

  markDown(address: UpstreamAddress): void {
    this.#downUntil.set(address, this.clock.now + this.downMs);
  }

  isDown(address: UpstreamAddress): boolean {
    // The common case, every replica healthy, is one size check.
    if (this.#downUntil.size === 0) return false;
    const until = this.#downUntil.get(address);
    if (until === undefined) return false;
    if (until > this.clock.now) return true;
    this.#downUntil.delete(address);
    return false;
  }
}

/** The web replicas of one route, handed out in turn, skipping those marked down. */
export class UpstreamSet {
  #next = 0;

  constructor(readonly addresses: readonly UpstreamAddress[]) {}

  /** The next healthy replica, or null when every one of them is marked down. */
  pick(health: UpstreamHealth): UpstreamAddress | null {
    const n = this.addresses.length;
    for (let i = 0; i < n; i++) {
      const address = this.addresses[this.#next] as UpstreamAddress;
      this.#next = this.#next + 1 === n ? 0 : this.#next + 1;
      if (!health.isDown(address)) return address;
    }
    return null;
  }

  has(address: UpstreamAddress): boolean {
    return this.addresses.includes(address);
  }
}

// A route's target object lives as long as the route is unchanged: its set (and its turn) hangs off it.
const sets = new WeakMap<UpstreamTarget, UpstreamSet | null>();

/**
 * The replica set of a route with several upstreams; undefined for a route with one (the plain path), null
 * when one of its URLs is unusable.
 */
export function upstreamSetOf(target: UpstreamTarget): UpstreamSet | null | undefined {
  const urls = target.urls;
  if (urls === undefined || urls.length <= 1) return undefined;
  let set = sets.get(target);
  if (set === undefined) {
    const addresses = urls.map(upstreamAddress);
    set = addresses.includes(null) ? null : new UpstreamSet(addresses as UpstreamAddress[]);
    sets.set(target, set);
  }
  return set;
}
