import type { LogRecord, LogStore } from "@kli8nt/logstore";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Checkpoint } from "./log-line.ts";
import { parseTimedLine } from "./log-line.ts";
import { resumePoint } from "./resume-point.ts";
import { type ContainerRef, streamContainerLog } from "./stream-container-log.ts";

export interface FollowLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface FollowerDeps {
  readonly kc: KubeConfig;
  readonly store: LogStore;
  readonly logger: FollowLogger;
  /** True once the container will write no more (terminated, or its pod is gone). */
  readonly finished: (ref: ContainerRef) => boolean;
  readonly retryDelayMs?: number;
}

export interface FollowTarget extends ContainerRef {
  readonly appId: string;
  readonly deploymentId: string;
  readonly phase: LogPhase;
}

/** The log phase of a pod, from its `kli8nt.io/phase` label: a release Job's and a CronJob's pods keep theirs. */
export type LogPhase = "build" | "release" | "run" | "cron";

const BATCH_LINES = 500;

/**
 * Follows one container's log into the store until the container is finished or `stop()` is called.
 * After a cut stream it reconnects with `sinceTime` from its checkpoint and drops the re-sent boundary;
 * after an error (API server or store) it rebuilds the checkpoint from what the store holds, so nothing
 * acknowledged by the store is written twice and nothing is skipped.
 */
export class ContainerFollower {
  readonly #abort = new AbortController();
  #checkpoint: Checkpoint | undefined;
  readonly done: Promise<void>;

  constructor(
    private readonly deps: FollowerDeps,
    readonly target: FollowTarget,
  ) {
    this.done = this.#run();
  }

  get source(): string {
    return `${this.target.pod}/${this.target.container}`;
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.done;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let delay = this.deps.retryDelayMs ?? 500;
    while (!signal.aborted) {
      try {
        await this.#followOnce(signal);
        delay = this.deps.retryDelayMs ?? 500;
        if (this.deps.finished(this.target)) return;
      } catch (error) {
        if (signal.aborted) return;
        this.#checkpoint = undefined;
        this.deps.logger.warn({ err: error, source: this.source }, "Reconnecting log stream");
        delay = Math.min(delay * 2, 10_000);
      }
      await sleep(delay, signal);
    }
  }

  async #followOnce(signal: AbortSignal): Promise<void> {
    const { appId, deploymentId } = this.target;
    this.#checkpoint ??= await resumePoint(this.deps.store, appId, deploymentId, this.source);
    const checkpoint = this.#checkpoint;
    checkpoint.reconnecting();
    // A failed append ends this connection at once; the retry resumes from what the store holds.
    const connection = new AbortController();
    const onAbort = () => connection.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    let batch: LogRecord[] = [];
    let writing: Promise<unknown> = Promise.resolve();
    const flush = () => {
      if (batch.length === 0) return;
      const records = batch;
      batch = [];
      writing = writing.then(() => this.deps.store.append(appId, records));
      writing.catch(onAbort);
    };
    const timer = setInterval(flush, 100);
    try {
      await streamContainerLog(
        this.deps.kc,
        this.target,
        checkpoint.since,
        (raw) => {
          const entry = parseTimedLine(raw);
          if (!entry || !checkpoint.accept(entry)) return;
          batch.push(this.#record(entry.timestamp, entry.line));
          if (batch.length >= BATCH_LINES) flush();
        },
        connection.signal,
      );
    } finally {
      signal.removeEventListener("abort", onAbort);
      clearInterval(timer);
      flush();
      // Lines already accepted are stored even when the stream failed; a failed append rethrows here.
      await writing;
    }
  }

  #record(timestamp: string, line: string): LogRecord {
    return {
      timestamp,
      appId: this.target.appId,
      deploymentId: this.target.deploymentId,
      phase: this.target.phase,
      source: this.source,
      // The log endpoint merges stdout and stderr without saying which is which.
      stream: "stdout",
      line,
    };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
