import { appNameSchema, CRON_JOB_NAME, cronScheduleProblem, nextCronRun } from "@kli8nt/core";
import type { CronJob, CronRun } from "@kli8nt/db";
import { z } from "zod";

const cronName = z
  .string()
  .max(30)
  .regex(CRON_JOB_NAME, "a cron job name is lowercase letters, digits and dashes, starting with a letter");

export const cronCreateBody = z.strictObject({
  name: cronName.describe("Names the job, like a process type: nightly, send-digest"),
  schedule: z
    .string()
    .max(120)
    .superRefine((value, ctx) => {
      const problem = cronScheduleProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .describe('Five fields in UTC: minute hour day-of-month month day-of-week, e.g. "0 3 * * *"'),
  command: z
    .string()
    .trim()
    .min(1)
    .max(2000)
    .refine((s) => !/[\r\n\0]/.test(s), { message: "must be a single line" })
    .describe("Run with sh -c in a container of the current release, with the app's variables"),
});

export const cronParams = z.strictObject({
  name: appNameSchema,
  cronName,
});

export const cronRunsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.iso.datetime().optional().describe("Runs scheduled before this time (the previous page's last)"),
});

export const cronRunView = z.object({
  id: z.string(),
  scheduledAt: z.string(),
  /** running, succeeded, failed, or skipped (the previous run still ran, or no release was live). */
  state: z.string(),
  exitCode: z.number().int().nullable(),
  reason: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** The release it ran in. */
  deploymentId: z.string().nullable(),
});

export const cronJobView = z.object({
  name: z.string(),
  schedule: z.string(),
  command: z.string(),
  createdAt: z.string(),
  /** Next time the schedule fires (UTC). */
  nextRunAt: z.string().nullable(),
  lastRun: cronRunView.nullable(),
});

export const cronListView = z.object({ items: z.array(cronJobView) });
export const cronRunListView = z.object({
  items: z.array(cronRunView),
  /** Pass as `before` for older runs; null on the last page. */
  nextCursor: z.string().nullable(),
});

export function toCronRunView(run: CronRun): z.infer<typeof cronRunView> {
  return {
    id: run.id,
    scheduledAt: run.scheduledAt.toISOString(),
    state: run.state,
    exitCode: run.exitCode,
    reason: run.reason,
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    deploymentId: run.deploymentId,
  };
}

export function toCronJobView(job: CronJob, lastRun: CronRun | null, now: Date): z.infer<typeof cronJobView> {
  return {
    name: job.name,
    schedule: job.schedule,
    command: job.command,
    createdAt: job.createdAt.toISOString(),
    nextRunAt: nextCronRun(job.schedule, now)?.toISOString() ?? null,
    lastRun: lastRun ? toCronRunView(lastRun) : null,
  };
}
