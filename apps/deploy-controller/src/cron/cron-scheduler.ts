import {
  type CronJob,
  type CronRun,
  claimCronRun,
  type Db,
  failLostCronRuns,
  finishCronRun,
  hasRunningCronRun,
  listCronRuns,
  liveRelease,
  resolveEnv,
  type SecretBox,
} from "@kli8nt/db";
import type { OneOffLog } from "../deploy-handler.ts";
import type { RuntimePort } from "../runtime-port.ts";
import { dueJobs, type ScheduledJob } from "./due-jobs.ts";

export interface CronSchedulerSettings {
  /** How often due minutes are looked for; a run starts at most this late. Default 5 s. */
  readonly tickMs?: number;
  /** A missed time older than this is recorded as skipped instead of run (Kubernetes startingDeadlineSeconds). */
  readonly startingDeadlineMs?: number;
  /** A run still going after this long is killed and recorded failed. Default 1 hour. */
  readonly runTimeoutMs?: number;
  /** How long `stop()` lets runs in progress finish before it kills them. Default 10 s. */
  readonly stopGraceMs?: number;
  /** Size of a cron run's container. */
  readonly memory: string;
  readonly cpu: string;
}

export interface CronSchedulerDeps {
  readonly db: Db;
  readonly box: SecretBox;
  readonly runtime: Pick<RuntimePort, "runOnce">;
  readonly oneOffLog?: OneOffLog | undefined;
  readonly settings: CronSchedulerSettings;
  readonly logger: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
  /** The clock (tests move it by minutes); Date.now by default. */
  readonly now?: () => Date;
}

const STOPPED = "The platform stopped while it ran";
const NO_RELEASE = "The app has no live release to run it in";

const DEFAULTS = {
  tickMs: 5_000,
  startingDeadlineMs: 24 * 3_600_000,
  runTimeoutMs: 3_600_000,
  stopGraceMs: 10_000,
};

/**
 * The local cron scheduler (ADR 0191). Each tick, for every job, it takes the latest time the schedule fired
 * (never a backlog of missed ones), claims that minute by inserting its run row (ON CONFLICT DO NOTHING on
 * the unique job and time), and only the claimer runs it, in a one-off container of the app's live release.
 * So a restarted or second scheduler never runs a minute twice. A job whose previous run still runs skips
 * the minute (Kubernetes concurrencyPolicy Forbid).
 */
export class CronScheduler {
  readonly #deps: CronSchedulerDeps;
  readonly #settings: typeof DEFAULTS & CronSchedulerSettings;
  readonly #now: () => Date;
  /** Per job, the newest minute this scheduler claimed or saw claimed: saves a query per tick. */
  readonly #seen = new Map<string, number>();
  readonly #running = new Map<string, { done: Promise<void>; abort: AbortController }>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: CronSchedulerDeps) {
    this.#deps = deps;
    this.#settings = { ...DEFAULTS, ...deps.settings };
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Records runs a previous process of this platform left `running` as failed (their scheduler is gone, so
   * Forbid must not hold their jobs back), then ticks now and every `tickMs`. Resolves after the first tick.
   * One local scheduler per database is assumed for that recovery; the claim alone keeps a second one from
   * running any minute twice.
   */
  async start(): Promise<void> {
    const lost = await failLostCronRuns(this.#deps.db, this.#now(), this.#now());
    if (lost > 0)
      this.#deps.logger.warn({ runs: lost }, "Recorded cron runs lost in a platform stop as failed");
    const loop = async (): Promise<void> => {
      await this.tick().catch((err: unknown) => this.#deps.logger.error({ err }, "Cron tick failed"));
      if (this.#stopped) return;
      this.#timer = setTimeout(() => {
        this.#ticking = loop();
      }, this.#settings.tickMs);
    };
    this.#ticking = loop();
    await this.#ticking;
  }

  /** One pass: claims and starts every due run. Resolves once they are started (not finished). */
  async tick(): Promise<void> {
    const now = this.#now();
    const { db, logger } = this.#deps;
    await failLostCronRuns(db, new Date(now.getTime() - this.#settings.runTimeoutMs - 60_000), now);
    for (const job of await dueJobs(db, now, this.#seen)) {
      if (this.#stopped) return;
      try {
        await this.#runDue(job, now);
      } catch (err) {
        logger.error({ err, app: job.appName, cronJob: job.name }, "Cron job could not be started");
      }
    }
  }

  /** Waits for every run this scheduler started (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  /** Stops ticking; runs in progress get `stopGraceMs` to finish, then are killed and recorded failed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    const grace = new Promise((resolve) => setTimeout(resolve, this.#settings.stopGraceMs).unref());
    await Promise.race([this.idle(), grace]);
    for (const r of this.#running.values()) r.abort.abort();
    await this.idle();
  }

  async #runDue(job: ScheduledJob, now: Date): Promise<void> {
    const { db } = this.#deps;
    const scheduledAt = job.due;
    const base = { cronJobId: job.id, appId: job.appId, scheduledAt };
    const release = await liveRelease(db, job.appId);
    const skip = await this.#skipReason(job, now, release !== null);
    if (skip === NO_RELEASE && (await listCronRuns(db, job.id, { limit: 1 }))[0]?.reason === NO_RELEASE) {
      // Said once until a release is live, not once a minute.
      this.#seen.set(job.id, scheduledAt.getTime());
      return;
    }
    const run = await claimCronRun(db, {
      ...base,
      deploymentId: release?.id ?? null,
      state: skip ? "skipped" : "running",
      reason: skip,
      startedAt: skip ? null : now,
    });
    this.#seen.set(job.id, scheduledAt.getTime());
    if (!run || skip || !release) return;
    const abort = new AbortController();
    const done = this.#execute(job, run, release, abort.signal).finally(() => this.#running.delete(run.id));
    this.#running.set(run.id, { done, abort });
  }

  async #skipReason(job: ScheduledJob, now: Date, released: boolean): Promise<string | null> {
    if (now.getTime() - job.due.getTime() > this.#settings.startingDeadlineMs) {
      return `Missed: the platform was not running at ${job.due.toISOString()}`;
    }
    if (!released) return NO_RELEASE;
    if (await hasRunningCronRun(this.#deps.db, job.id)) return "The previous run was still running";
    return null;
  }

  async #execute(
    job: CronJob & { appName: string },
    run: CronRun,
    release: { id: string; image: string },
    signal: AbortSignal,
  ): Promise<void> {
    const { db, box, runtime, logger } = this.#deps;
    const out = this.#deps.oneOffLog?.(
      { appId: job.appId, deploymentId: release.id, source: `cron-${job.name}` },
      "cron",
    );
    let end: { state: "succeeded" | "failed"; exitCode: number | null; reason: string | null };
    let secrets: string[] = [];
    try {
      const vars = await resolveEnv(db, box, job.appId);
      secrets = vars.filter((v) => v.secret).map((v) => v.value);
      const env = Object.fromEntries(vars.map((v) => [v.key, v.value]));
      out?.onLine("stdout", `Running cron job ${job.name} (${job.schedule}): ${job.command}`);
      const result = await runtime.runOnce(
        {
          deploymentId: release.id,
          appId: job.appId,
          appName: job.appName,
          image: release.image,
          env,
          command: job.command,
          phase: "cron",
          runId: run.id,
          memory: this.#settings.memory,
          cpu: this.#settings.cpu,
          timeoutMs: this.#settings.runTimeoutMs,
          onLine: (stream, line) => out?.onLine(stream, line),
        },
        signal,
      );
      end = outcomeOf(result, signal.aborted, this.#settings.runTimeoutMs);
    } catch (err) {
      logger.warn({ err, app: job.appName, cronJob: job.name, runId: run.id }, "Cron run failed");
      const reason = signal.aborted ? STOPPED : `It could not be run: ${(err as Error).message}`;
      end = { state: "failed", exitCode: null, reason: reason.slice(0, 1000) };
    }
    // The reason quotes the command's output: stored and shown like a log line, so secrets masked alike.
    end = { ...end, reason: end.reason === null ? null : maskSecrets(end.reason, secrets) };
    out?.onLine(end.state === "succeeded" ? "stdout" : "stderr", end.reason ?? "Cron job succeeded");
    await out?.flush();
    await finishCronRun(db, run.id, end, this.#now());
    logger.info({ app: job.appName, cronJob: job.name, runId: run.id, ...end }, "Finished cron run");
  }
}

function outcomeOf(
  result: { exitCode: number | null; tail: readonly string[] },
  aborted: boolean,
  timeoutMs: number,
): { state: "succeeded" | "failed"; exitCode: number | null; reason: string | null } {
  if (result.exitCode === 0) return { state: "succeeded", exitCode: 0, reason: null };
  const tail = result.tail.slice(-3).join(" | ").slice(-500);
  const what = aborted
    ? STOPPED
    : result.exitCode === null
      ? `It did not finish within ${Math.round(timeoutMs / 1000)} s`
      : `It exited with code ${result.exitCode}`;
  return {
    state: "failed",
    exitCode: result.exitCode,
    reason: tail ? `${what}. Last output: ${tail}` : what,
  };
}

/** Replaces every secret value (4 characters or more, as the log masker) in `text` by `****`. */
function maskSecrets(text: string, secrets: readonly string[]): string {
  return [...secrets]
    .filter((value) => value.length >= 4)
    .sort((a, b) => b.length - a.length)
    .reduce((masked, value) => masked.replaceAll(value, "****"), text);
}
