import { Cron } from "croner";

/**
 * Cron schedules of apps (ADR 0191): five fields (minute hour day-of-month month day-of-week), in UTC, with
 * what both the local scheduler (croner) and a Kubernetes CronJob (robfig/cron) read the same way: numbers,
 * `*`, ranges, lists, steps and English month and day names. Nicknames, seconds, `L`, `W`, `#` and `?` are
 * refused, so a schedule means the same on either runtime.
 */

/** Cron job names, like process types: they name containers and Kubernetes objects. */
export const CRON_JOB_NAME = /^[a-z][a-z0-9-]{0,29}$/;

const FIELD_NAMES = ["minute", "hour", "day of month", "month", "day of week"] as const;
const NUMERIC = /^[0-9*,/-]+$/;
const WITH_NAMES = /^[0-9A-Za-z*,/-]+$/;
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const NAMES: Readonly<Record<number, readonly string[]>> = { 3: MONTHS, 4: DAYS };

function fieldProblem(field: string, index: number): string | null {
  const what = FIELD_NAMES[index] ?? "field";
  const names = NAMES[index];
  if (!(names ? WITH_NAMES : NUMERIC).test(field)) {
    const extra = names ? " and English names" : "";
    return `The ${what} field "${field}" may hold only numbers, *, ranges (a-b), lists (a,b) and steps (*/n)${extra}`;
  }
  const word = (field.match(/[A-Za-z]+/g) ?? []).find((w) => !names?.includes(w.toLowerCase()));
  if (word !== undefined) return `The ${what} field has "${word}", which is not a ${what} name`;
  return index === 4 ? dayOfWeekProblem(field) : null;
}

/** robfig/cron (Kubernetes) reads 0-6 only; croner would also take 7 for Sunday. */
function dayOfWeekProblem(field: string): string | null {
  if (!(field.match(/\d+/g) ?? []).some((n) => Number(n) > 6)) return null;
  return `The day of week field "${field}" takes 0-6 (Sunday is 0) or SUN-SAT`;
}

function compile(schedule: string): Cron {
  return new Cron(schedule, { paused: true, mode: "5-part", timezone: "Etc/UTC" });
}

/** Why a schedule is refused, in words for the user, or null when it is a valid schedule that ever runs. */
export function cronScheduleProblem(schedule: string): string | null {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5 || schedule.length > 120) {
    return `A schedule has 5 fields (minute hour day-of-month month day-of-week, in UTC), e.g. "0 3 * * *"; "${schedule.slice(0, 120)}" has ${fields.length}`;
  }
  for (const [i, field] of fields.entries()) {
    const problem = fieldProblem(field, i);
    if (problem) return problem;
  }
  let cron: Cron;
  try {
    cron = compile(fields.join(" "));
  } catch (error) {
    return `The schedule "${schedule}" is not valid: ${(error as Error).message.replace(/^CronPattern: /, "")}`;
  }
  return cron.nextRun(new Date()) === null ? `The schedule "${schedule}" never runs` : null;
}

/** The first time the schedule fires strictly after `after` (null if never). */
export function nextCronRun(schedule: string, after: Date): Date | null {
  return compile(schedule).nextRun(after);
}

/** The latest time the schedule fired at or before `at` (its minute counts), or null if none. */
export function latestCronRun(schedule: string, at: Date): Date | null {
  const cron = compile(schedule);
  const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
  if (cron.match(minute)) return minute;
  return cron.previousRuns(1, minute)[0] ?? null;
}
