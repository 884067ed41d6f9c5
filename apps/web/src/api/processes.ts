import { api } from "./client.ts";

/** One process type of the current release: how many run and at what size (`GET …/formation`). */
export interface ProcessFormation {
  readonly type: string;
  readonly count: number;
  readonly memory: string;
  readonly cpu: string;
  /** Shell command, or null for the image's own CMD. */
  readonly command: string | null;
}

export interface Formation {
  /** Stopped by the user: the counts come back with Start. */
  readonly stopped: boolean;
  readonly processes: readonly ProcessFormation[];
}

/** A value sets, null goes back to the platform's default, absent keeps. */
export interface ProcessChange {
  readonly type: string;
  readonly count?: number | null;
  readonly memory?: string | null;
  readonly cpu?: string | null;
}

export interface CronRun {
  readonly id: string;
  readonly scheduledAt: string;
  /** running, succeeded, failed or skipped. */
  readonly state: string;
  readonly exitCode: number | null;
  readonly reason: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export interface CronJob {
  readonly name: string;
  readonly schedule: string;
  readonly command: string;
  readonly createdAt: string;
  readonly nextRunAt: string | null;
  readonly lastRun: CronRun | null;
}

export type LifecycleAction = "restart" | "stop" | "start";

const app = (name: string) => `/api/apps/${encodeURIComponent(name)}`;

export const getFormation = (name: string) => api<Formation>("GET", `${app(name)}/formation`);
export const patchFormation = (name: string, processes: readonly ProcessChange[]) =>
  api<Formation>("PATCH", `${app(name)}/formation`, { processes });
export const runLifecycle = (name: string, action: LifecycleAction) =>
  api<unknown>("POST", `${app(name)}/${action}`);

export const listCron = (name: string) => api<{ items: CronJob[] }>("GET", `${app(name)}/cron`);
export const addCron = (name: string, job: { name: string; schedule: string; command: string }) =>
  api<CronJob>("POST", `${app(name)}/cron`, job);
export const deleteCron = (name: string, job: string) =>
  api<void>("DELETE", `${app(name)}/cron/${encodeURIComponent(job)}`);
export const listCronRuns = (name: string, job: string) =>
  api<{ items: CronRun[]; nextCursor: string | null }>(
    "GET",
    `${app(name)}/cron/${encodeURIComponent(job)}/runs?limit=20`,
  );
