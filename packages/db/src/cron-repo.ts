import { ConflictError, NotAllowedError, NotFoundError, newId } from "@kli8nt/core";
import { and, asc, count, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "./database.ts";
import { enqueueAppChanged } from "./formation-repo.ts";
import { sqlStateOf, UNIQUE_VIOLATION } from "./pg-errors.ts";
import { apps, cronJobs, cronRuns, deployments } from "./schema.ts";

export type CronJob = typeof cronJobs.$inferSelect;
export type CronRun = typeof cronRuns.$inferSelect;
/** `running` until it ends; `skipped` when it was not started (previous run still running, no release). */
export type CronRunState = "running" | "succeeded" | "failed" | "skipped";

export interface CronJobInput {
  readonly name: string;
  readonly schedule: string;
  readonly command: string;
}

/** Adds a job (and tells the controllers, for the Kubernetes CronJob); refused past `maxPerApp`. */
export async function createCronJob(
  db: Db,
  app: { readonly id: string; readonly name: string },
  input: CronJobInput,
  maxPerApp: number,
): Promise<CronJob> {
  try {
    return await db.transaction(async (tx) => {
      // The app row's lock orders concurrent creations, so the count below cannot be passed by two at once.
      await tx.select({ id: apps.id }).from(apps).where(eq(apps.id, app.id)).for("update");
      const [existing] = await tx.select({ n: count() }).from(cronJobs).where(eq(cronJobs.appId, app.id));
      if ((existing?.n ?? 0) >= maxPerApp) {
        throw new NotAllowedError(
          "CRON_JOB_LIMIT",
          `An app has at most ${maxPerApp} cron jobs; delete one before adding "${input.name}"`,
          { details: { limit: maxPerApp } },
        );
      }
      const [row] = await tx
        .insert(cronJobs)
        .values({ id: newId("cron"), appId: app.id, ...input })
        .returning();
      if (!row) throw new Error("insert into cron_jobs returned no row");
      await enqueueAppChanged(tx, app, "cron");
      return row;
    });
  } catch (error) {
    if (sqlStateOf(error) !== UNIQUE_VIOLATION) throw error;
    throw new ConflictError("CRON_JOB_EXISTS", `The app already has a cron job named "${input.name}"`, {
      cause: error,
      details: { name: input.name },
    });
  }
}

export async function listCronJobs(db: Db, appId: string): Promise<CronJob[]> {
  return db.select().from(cronJobs).where(eq(cronJobs.appId, appId)).orderBy(asc(cronJobs.name));
}

export async function getCronJob(db: Db, appId: string, name: string): Promise<CronJob> {
  const [row] = await db
    .select()
    .from(cronJobs)
    .where(and(eq(cronJobs.appId, appId), eq(cronJobs.name, name)));
  if (!row)
    throw new NotFoundError("CRON_JOB_NOT_FOUND", `No cron job named "${name}"`, { details: { name } });
  return row;
}

/** Removes a job with its history; a run in progress finishes, and its row goes with the job. */
export async function deleteCronJob(
  db: Db,
  app: { readonly id: string; readonly name: string },
  name: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    const deleted = await tx
      .delete(cronJobs)
      .where(and(eq(cronJobs.appId, app.id), eq(cronJobs.name, name)))
      .returning({ id: cronJobs.id });
    if (deleted.length === 0) {
      throw new NotFoundError("CRON_JOB_NOT_FOUND", `No cron job named "${name}"`, { details: { name } });
    }
    await enqueueAppChanged(tx, app, "cron");
  });
}

/** The newest run of each of an app's jobs (one DISTINCT ON query). */
export async function lastCronRuns(db: Db, appId: string): Promise<Map<string, CronRun>> {
  const rows = await db
    .selectDistinctOn([cronRuns.cronJobId])
    .from(cronRuns)
    .where(eq(cronRuns.appId, appId))
    .orderBy(cronRuns.cronJobId, desc(cronRuns.scheduledAt));
  return new Map(rows.map((r) => [r.cronJobId, r]));
}

/** A job's runs, newest first, a page at a time (keyset on the scheduled time). */
export async function listCronRuns(
  db: Db,
  jobId: string,
  page: { readonly limit: number; readonly before?: Date | undefined },
): Promise<CronRun[]> {
  const where = page.before
    ? and(eq(cronRuns.cronJobId, jobId), lt(cronRuns.scheduledAt, page.before))
    : eq(cronRuns.cronJobId, jobId);
  return db.select().from(cronRuns).where(where).orderBy(desc(cronRuns.scheduledAt)).limit(page.limit);
}

/** Every job of the platform with what the scheduler needs of its app. */
export async function listScheduledCronJobs(
  db: Db,
): Promise<Array<CronJob & { appName: string; appStopped: boolean }>> {
  const rows = await db
    .select({ job: cronJobs, appName: apps.name, appStopped: apps.stopped })
    .from(cronJobs)
    .innerJoin(apps, eq(apps.id, cronJobs.appId))
    .orderBy(asc(cronJobs.id));
  return rows.map((r) => ({ ...r.job, appName: r.appName, appStopped: r.appStopped }));
}

/**
 * Claims one scheduled minute of a job: inserts its run row unless one exists. The unique (job, scheduled
 * time) index decides, so across restarts and concurrent schedulers only one claim of a minute returns a row.
 */
export async function claimCronRun(
  db: Db,
  run: {
    readonly cronJobId: string;
    readonly appId: string;
    readonly scheduledAt: Date;
    readonly deploymentId: string | null;
    readonly state: CronRunState;
    readonly reason?: string | null;
    readonly startedAt?: Date | null;
  },
): Promise<CronRun | null> {
  const [row] = await db
    .insert(cronRuns)
    .values({ id: newId("run"), ...run })
    .onConflictDoNothing({ target: [cronRuns.cronJobId, cronRuns.scheduledAt] })
    .returning();
  return row ?? null;
}

export async function hasRunningCronRun(db: Db, jobId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: cronRuns.id })
    .from(cronRuns)
    .where(and(eq(cronRuns.cronJobId, jobId), eq(cronRuns.state, "running")))
    .limit(1);
  return row !== undefined;
}

export async function finishCronRun(
  db: Db,
  runId: string,
  end: { readonly state: CronRunState; readonly exitCode: number | null; readonly reason: string | null },
  at: Date = new Date(),
): Promise<void> {
  await db
    .update(cronRuns)
    .set({ ...end, finishedAt: at })
    .where(and(eq(cronRuns.id, runId), eq(cronRuns.state, "running")));
}

/**
 * Runs still `running` that started before `startedBefore` lost their scheduler (it stopped or died while
 * they ran, and their timeout is long past): they are marked failed so the job can run again.
 */
export async function failLostCronRuns(db: Db, startedBefore: Date, at: Date = new Date()): Promise<number> {
  const rows = await db
    .update(cronRuns)
    .set({
      state: "failed",
      reason: "The platform stopped while it ran; its outcome is unknown",
      finishedAt: at,
    })
    .where(and(eq(cronRuns.state, "running"), lt(cronRuns.startedAt, startedBefore)))
    .returning({ id: cronRuns.id });
  return rows.length;
}

/** How many runs a job has recorded. */
export async function countCronRuns(db: Db, jobId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(cronRuns)
    .where(eq(cronRuns.cronJobId, jobId));
  return row?.n ?? 0;
}

/** The release a cron run uses: the app's newest live deployment with an image, or null. */
export async function liveRelease(db: Db, appId: string): Promise<{ id: string; image: string } | null> {
  const [row] = await db
    .select({ id: deployments.id, image: deployments.image })
    .from(deployments)
    .where(and(eq(deployments.appId, appId), eq(deployments.state, "live")))
    .orderBy(desc(deployments.number))
    .limit(1);
  return row?.image ? { id: row.id, image: row.image } : null;
}
