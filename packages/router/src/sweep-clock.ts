/**
 * The router's one clock for its timeouts (ADR 0123). Every deadline (request head, keep-alive idle time,
 * upstream response) is a number checked by one sweep over the connections, not a timer per request: a
 * setTimeout and its clearTimeout cost about 0.5 µs, and Date.now about 50 ns, on a request that costs the
 * router about 22 µs. `now` is the time of the last sweep, so arming a deadline costs a field read.
 */
export class SweepClock {
  /** The time of the last sweep (Date.now()). */
  now = Date.now();

  constructor(
    /** How often the sweep runs: a deadline fires at most two of these after it is due. */
    readonly intervalMs: number,
  ) {}

  /**
   * When something armed now with `ms` to go is due: never early, although `now` may be up to one interval
   * old; 0 (never) for `ms` 0.
   */
  deadline(ms: number): number {
    return ms > 0 ? this.now + ms + this.intervalMs : 0;
  }

  /** Called by the sweep before it checks deadlines. */
  tick(): number {
    this.now = Date.now();
    return this.now;
  }

  /**
   * The sweep interval for a router's timeouts: once a second, more often when a timeout is short (tests, a
   * strict deployment), so that a deadline fires within about half its length of being due.
   */
  static intervalFor(timeoutsMs: readonly number[]): number {
    const shortest = Math.min(...timeoutsMs.filter((ms) => ms > 0));
    return Math.max(25, Math.min(1000, Math.floor(shortest / 4)));
  }
}
