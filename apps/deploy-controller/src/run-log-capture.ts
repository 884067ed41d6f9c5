import type { Engine, RunLine } from "./engine.ts";

/** A captured runtime line, ready for the LogStore (phase `run`, or `release`/`cron` for one-off runs). */
export interface RunLogRecord {
  readonly timestamp: string;
  readonly appId: string;
  readonly deploymentId: string;
  readonly phase: "run" | "release" | "cron";
  readonly source: string;
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

export interface RunLogCaptureDeps {
  readonly engine: Pick<Engine, "follow">;
  /** Appends (masked) records; failures are reported, never thrown into the deploy path. */
  readonly append: (appId: string, records: RunLogRecord[]) => Promise<void>;
  /** Timestamp of the newest stored run line of a release, to resume after a restart without repeats. */
  readonly lastTimestamp: (appId: string, deploymentId: string) => Promise<string | null>;
  readonly onError: (error: unknown) => void;
  readonly flushMs?: number;
}

/** One instance to follow: its key, and what its lines are filed under (`web.1`, `worker.2`). */
export interface FollowedInstance {
  readonly key: string;
  readonly deploymentId: string;
  readonly appId: string;
  readonly appName: string;
  readonly process: string;
  readonly index: number;
}

/**
 * Follows the output of every running instance into the log store. `ensure` is idempotent (one follower per
 * instance) and resumes after the newest stored line of the release, skipping lines at or before it, so a
 * platform restart neither loses nor repeats output.
 */
export class RunLogCapture {
  readonly #deps: RunLogCaptureDeps;
  readonly #followers = new Map<string, { stop(): void }>();

  constructor(deps: RunLogCaptureDeps) {
    this.#deps = deps;
  }

  async ensure(release: FollowedInstance): Promise<void> {
    const { engine } = this.#deps;
    if (!engine.follow || this.#followers.has(release.key)) return;
    const since = await this.#deps.lastTimestamp(release.appId, release.deploymentId);
    if (this.#followers.has(release.key)) return;
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
        source: `${release.process}.${release.index + 1}`,
      });
      timer ??= setTimeout(flush, this.#deps.flushMs ?? 100);
    };
    const follower = engine.follow(release.key, since, onLine, () => {
      flush();
      this.#followers.delete(release.key);
    });
    this.#followers.set(release.key, follower);
  }

  /** Stops following an instance (it was removed). */
  stop(key: string): void {
    this.#followers.get(key)?.stop();
    this.#followers.delete(key);
  }

  /**
   * A writer for a one-off run's output (release phase, cron), filed under its phase; `flush` before
   * reporting the run's end so its last lines are stored first.
   */
  oneOff(
    run: { appId: string; deploymentId: string; source: string },
    phase: "release" | "cron",
  ): { onLine: (stream: "stdout" | "stderr", line: string) => void; flush: () => Promise<void> } {
    const pending: RunLogRecord[] = [];
    const write = async () => {
      const batch = pending.splice(0);
      if (batch.length > 0) await this.#deps.append(run.appId, batch).catch(this.#deps.onError);
    };
    let timer: NodeJS.Timeout | undefined;
    return {
      onLine: (stream, line) => {
        pending.push({ timestamp: new Date().toISOString(), ...run, phase, stream, line });
        timer ??= setTimeout(() => {
          timer = undefined;
          void write();
        }, this.#deps.flushMs ?? 100);
      },
      flush: async () => {
        clearTimeout(timer);
        timer = undefined;
        await write();
      },
    };
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
