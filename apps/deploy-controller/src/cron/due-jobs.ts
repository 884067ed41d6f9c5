import { latestCronRun } from "@kli8nt/core";
import { type CronJob, type Db, listScheduledCronJobs } from "@kli8nt/db";

/** A job with the one time it is due for now. */
export type ScheduledJob = CronJob & { readonly appName: string; readonly due: Date };

/**
 * The jobs due now, each with the latest time its schedule fired at or before `now`: missed earlier times
 * are never run as a backlog. Left out: jobs of stopped apps (suspended, as a Kubernetes CronJob is), times
 * before the job existed, and times `seen` (already claimed, by this scheduler or another) holds.
 */
export async function dueJobs(db: Db, now: Date, seen: ReadonlyMap<string, number>): Promise<ScheduledJob[]> {
  const jobs = await listScheduledCronJobs(db);
  return jobs.flatMap((job) => {
    if (job.appStopped) return [];
    const due = latestCronRun(job.schedule, now);
    if (due === null || due.getTime() < job.createdAt.getTime()) return [];
    if ((seen.get(job.id) ?? Number.NEGATIVE_INFINITY) >= due.getTime()) return [];
    return [{ ...job, due }];
  });
}
