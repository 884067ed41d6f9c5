import type { RunLine, Runtime } from "./runtime.ts";

/** A captured runtime line, ready for the LogStore (phase `run`). */
export interface RunLogRecord {
  readonly timestamp: string;
  readonly appId: string;
  readonly deploymentId: string;
  readonly phase: "run";
  readonly source: string;
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

export interface RunLogCaptureDeps {
  readonly runtime: Runtime;
  /** Appends (masked) records; failures are reported, never thrown into the deploy path. */
  readonly append: (appId: string, records: RunLogRecord[]) => Promise<void>;
  /** Timestamp of the newest stored run line of a release, to resume after a restart without repeats. */
  readonly lastTimestamp: (appId: string, deploymentId: string) => Promise<string | null>;
  readonly onError: (error: unknown) => void;
  readonly flushMs?: number;
}

/**
 * Follows the output of every running release into the log store. `ensure` is idempotent (one follower per
 * release) and resumes after the newest stored line, skipping lines at or before it, so a platform restart
 * neither loses nor repeats output.
 */
export class RunLogCapture {
  readonly #deps: RunLogCaptureDeps;
  readonly #followers = new Map<string, { stop(): void }>();

  constructor(deps: RunLogCaptureDeps) {
    this.#deps = deps;
  }

  async ensure(release: { deploymentId: string; appId: string; appName: string }): Promise<void> {
    const { runtime } = this.#deps;
    if (!runtime.follow || this.#followers.has(release.deploymentId)) return;
    const since = await this.#deps.lastTimestamp(release.appId, release.deploymentId);
    if (this.#followers.has(release.deploymentId)) return;
    const after = since === null ? null : toNanos(since);
    let pending: RunLogRecord[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = [];
      if (batch.length > 0) this.#deps.append(release.appId, batch).catch(this.#deps.onError);
    };
    const onLine = (l: RunLine) => {
      if (after !== null && toNanos(l.timestamp) <= after) return;
      pending.push({
        ...l,
        appId: release.appId,
        deploymentId: release.deploymentId,
        phase: "run",
        source: release.appName,
      });
      timer ??= setTimeout(flush, this.#deps.flushMs ?? 100);
    };
    const follower = runtime.follow(release.deploymentId, since, onLine, () => {
      flush();
      this.#followers.delete(release.deploymentId);
    });
    this.#followers.set(release.deploymentId, follower);
  }

  /** Stops following a release (its instance was removed). */
  stop(deploymentId: string): void {
    this.#followers.get(deploymentId)?.stop();
    this.#followers.delete(deploymentId);
  }

  stopAll(): void {
    for (const id of [...this.#followers.keys()]) this.stop(id);
  }
}

/** RFC 3339 with up to nanosecond precision → nanoseconds since the epoch (Date keeps only ms). */
export function toNanos(timestamp: string): bigint {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/.exec(timestamp.trim());
  if (!match) return BigInt(Date.parse(timestamp)) * 1_000_000n;
  const [, seconds, fraction = "", zone] = match;
  const ms = Date.parse(`${seconds}${zone}`);
  return BigInt(ms) * 1_000_000n + BigInt(fraction.padEnd(9, "0").slice(0, 9));
}
