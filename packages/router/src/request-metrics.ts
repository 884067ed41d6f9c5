/**
 * Upper bounds (ms) of the router's latency histogram: bucket i counts requests that took at most
 * LATENCY_BOUNDS_MS[i] (and more than the bound before); one more bucket counts those above them all.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];

export type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx";

/** The requests one app's process completed within one minute (or the part of it since the last flush). */
export interface RequestMinute {
  readonly app: string;
  /** Always `web`: the router only sends requests to web processes. */
  readonly process: string;
  /** ISO start of the minute. */
  readonly minute: string;
  readonly requests: number;
  readonly status: Readonly<Record<StatusClass, number>>;
  /** One count per LATENCY_BOUNDS_MS entry, then the count above the last bound. */
  readonly latencyBuckets: readonly number[];
  readonly latencySumMs: number;
}

/** Where the router's request counts go; minutes may arrive in parts (the store adds them up). */
export type RequestMetricsSink = (minutes: RequestMinute[]) => Promise<void> | void;

/** Monotonic time for latencies and wall time for minute boundaries, injected by tests. */
export interface MetricsClock {
  monotonicMs(): number;
  wallMs(): number;
}

export interface RequestMetricsOptions {
  readonly sink: RequestMetricsSink;
  /** How often the counts go to the sink. Default 10 s. */
  readonly flushIntervalMs?: number;
  /** Called when the sink fails; its minutes are kept for the next flush (up to `maxPending`). */
  readonly onError?: (err: unknown) => void;
  /** Most apps counted at once; requests of more apps are not counted. Default 10 000. */
  readonly maxApps?: number;
  /** Most minutes kept while the sink fails; the oldest go first. Default 100 000. */
  readonly maxPending?: number;
  readonly clock?: MetricsClock;
}

const MINUTE_MS = 60_000;
/**
 * Start times are 10 µs ticks that wrap at 2^30 (about 3 hours): a small integer, which a response object
 * stores in place, where a fractional millisecond would be a heap number allocated per request.
 */
const TICKS_PER_MS = 100;
const TICK_WRAP = 2 ** 30;
const BUCKETS = LATENCY_BOUNDS_MS.length + 1;
const realClock: MetricsClock = { monotonicMs: () => performance.now(), wallMs: () => Date.now() };

/** One app's counts since the last flush; kept and zeroed, not reallocated, while the app has traffic. */
class AppCounts {
  requests = 0;
  latencySumMs = 0;
  /** 1xx … 5xx. */
  readonly status: number[] = [0, 0, 0, 0, 0];
  readonly buckets: number[] = new Array<number>(BUCKETS).fill(0);

  toMinute(app: string, minute: string): RequestMinute {
    const s = this.status;
    return {
      app,
      process: "web",
      minute,
      requests: this.requests,
      status: { "1xx": s[0] ?? 0, "2xx": s[1] ?? 0, "3xx": s[2] ?? 0, "4xx": s[3] ?? 0, "5xx": s[4] ?? 0 },
      latencyBuckets: [...this.buckets],
      latencySumMs: this.latencySumMs,
    };
  }

  reset(): void {
    this.requests = 0;
    this.latencySumMs = 0;
    this.status.fill(0);
    this.buckets.fill(0);
  }
}

/**
 * The router's request counts per app and minute (ADR 0215): `record` is called once per completed
 * response and only adds to numbers (no allocation once an app has a counter); a timer hands the counts to
 * the sink every `flushIntervalMs` and zeroes them. A request counts in the minute it completed in.
 */
export class RequestMetrics {
  readonly #sink: RequestMetricsSink;
  readonly #onError: (err: unknown) => void;
  readonly #clock: MetricsClock;
  readonly #maxApps: number;
  readonly #maxPending: number;
  readonly #counts = new Map<string, AppCounts>();
  #pending: RequestMinute[] = [];
  #minute = "";
  /** When the current minute ends, on the monotonic clock. */
  #minuteEnd = 0;
  #flushing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  /** Requests not counted because `maxApps` apps were counted already. */
  uncounted = 0;

  constructor(private readonly options: RequestMetricsOptions) {
    this.#sink = options.sink;
    this.#onError = options.onError ?? (() => undefined);
    this.#clock = options.clock ?? realClock;
    this.#maxApps = options.maxApps ?? 10_000;
    this.#maxPending = options.maxPending ?? 100_000;
    this.#startMinute();
  }

  /** The time a request starts at, for `record`: in ticks (10 µs), not milliseconds. */
  now(): number {
    return Math.round(this.#clock.monotonicMs() * TICKS_PER_MS) % TICK_WRAP;
  }

  /** Counts one completed response of `app`, begun at `startedAt` (from `now()`). */
  record(app: string, status: number, startedAt: number): void {
    const now = this.#clock.monotonicMs();
    if (now >= this.#minuteEnd) this.#endMinute();
    const ticks = Math.round(now * TICKS_PER_MS) % TICK_WRAP;
    let counts = this.#counts.get(app);
    if (counts === undefined) {
      if (this.#counts.size >= this.#maxApps) {
        this.uncounted += 1;
        return;
      }
      counts = new AppCounts();
      this.#counts.set(app, counts);
    }
    const ms = ((ticks - startedAt + TICK_WRAP) % TICK_WRAP) / TICKS_PER_MS;
    counts.requests += 1;
    counts.latencySumMs += ms;
    const cls = (status / 100) | 0;
    const si = cls < 1 ? 0 : cls > 5 ? 4 : cls - 1;
    counts.status[si] = (counts.status[si] as number) + 1;
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && ms > (LATENCY_BOUNDS_MS[i] as number)) i += 1;
    counts.buckets[i] = (counts.buckets[i] as number) + 1;
  }

  /** Flushes every `flushIntervalMs` until `stop`. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 10_000);
    this.#timer.unref();
  }

  /** Stops the timer and hands over what is left. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Hands the counts so far (and minutes a failed flush kept) to the sink; one flush runs at a time. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce());
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    if (this.#clock.monotonicMs() >= this.#minuteEnd) this.#endMinute();
    else this.#take();
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    try {
      await this.#sink(batch);
    } catch (err) {
      this.#onError(err);
      const kept = batch.concat(this.#pending);
      this.#pending = kept.length > this.#maxPending ? kept.slice(kept.length - this.#maxPending) : kept;
    }
  }

  /** Moves the current minute's counts to the pending minutes and zeroes them; idle apps are forgotten. */
  #take(): void {
    for (const [app, counts] of this.#counts) {
      if (counts.requests === 0) {
        this.#counts.delete(app);
        continue;
      }
      this.#pending.push(counts.toMinute(app, this.#minute));
      counts.reset();
    }
  }

  #endMinute(): void {
    this.#take();
    this.#startMinute();
  }

  #startMinute(): void {
    const wall = this.#clock.wallMs();
    const start = Math.floor(wall / MINUTE_MS) * MINUTE_MS;
    this.#minute = new Date(start).toISOString();
    this.#minuteEnd = this.#clock.monotonicMs() + (start + MINUTE_MS - wall);
  }
}

/**
 * The q-quantile (0 < q ≤ 1) of a histogram over LATENCY_BOUNDS_MS: the upper bound of the bucket holding
 * it, so never under the true value; the highest bound when it lies above them all; null when empty.
 */
export function percentile(buckets: readonly number[], q: number): number | null {
  let total = 0;
  for (const n of buckets) total += n;
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < buckets.length; i += 1) {
    seen += buckets[i] as number;
    if (seen >= rank) return LATENCY_BOUNDS_MS[i] ?? (LATENCY_BOUNDS_MS.at(-1) as number);
  }
  return LATENCY_BOUNDS_MS.at(-1) as number;
}
