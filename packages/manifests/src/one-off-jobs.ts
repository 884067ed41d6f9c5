import type { V1CronJob, V1Job, V1JobSpec } from "@kubernetes/client-node";
import { renderAppContainer, renderPodSpec } from "./deployment.ts";
import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import {
  appNames,
  cronJobName,
  LABEL_PHASE,
  PHASE_CRON,
  PHASE_RELEASE,
  releaseJobName,
  releaseLabels,
} from "./names.ts";
import { processResources } from "./resources.ts";
import type { ManifestSettings } from "./settings.ts";

/** A command run once in a container of a release: the release phase, a cron entry. */
export interface OneOffCommand {
  readonly command: string;
  readonly memory: string;
  readonly cpu: string;
  /** Killed past this, the Job failed with `DeadlineExceeded`. */
  readonly deadlineSeconds: number;
}

export interface CronEntry extends OneOffCommand {
  /** A DNS label (core's cron name): names the CronJob. */
  readonly name: string;
  /** Five-field cron expression, in UTC. */
  readonly schedule: string;
  /** No new run starts (the app is stopped); a run in progress finishes. */
  readonly suspend?: boolean;
}

/** Finished release Jobs stay this long, for their logs and status, then the TTL controller removes them. */
export const RELEASE_JOB_TTL_SECONDS = 3600;
/** A cron run that could not start within this of its time is skipped, not run late (docs/adr/0191). */
export const CRON_STARTING_DEADLINE_SECONDS = 60;

type Release = Pick<ManifestRelease, "deploymentId" | "image">;

/**
 * The release phase of a deployment: one pod of the new image with the app's env Secret, never retried
 * (a migration is not safe to run twice blindly), removed an hour after it ends.
 */
export function renderReleaseJob(
  app: ManifestApp,
  release: Release,
  run: OneOffCommand,
  settings: ManifestSettings,
): V1Job {
  const names = appNames(app, settings);
  const labels = { ...releaseLabels(app, release), [LABEL_PHASE]: PHASE_RELEASE };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: releaseJobName(app, release.deploymentId), namespace: names.namespace, labels },
    spec: {
      ...jobSpec(app, release, run, settings, labels),
      ttlSecondsAfterFinished: RELEASE_JOB_TTL_SECONDS,
    },
  };
}

/** A cron entry as a CronJob: one run at a time (`Forbid`), a missed time is skipped past its deadline. */
export function renderCronJob(
  app: ManifestApp,
  release: Release,
  entry: CronEntry,
  settings: ManifestSettings,
): V1CronJob {
  const names = appNames(app, settings);
  const labels = { ...releaseLabels(app, release), [LABEL_PHASE]: PHASE_CRON, "kli8nt.io/cron": entry.name };
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: cronJobName(app, entry.name), namespace: names.namespace, labels },
    spec: {
      schedule: entry.schedule,
      timeZone: "Etc/UTC",
      concurrencyPolicy: "Forbid",
      suspend: entry.suspend ?? false,
      startingDeadlineSeconds: CRON_STARTING_DEADLINE_SECONDS,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { metadata: { labels }, spec: jobSpec(app, release, entry, settings, labels) },
    },
  };
}

function jobSpec(
  app: ManifestApp,
  release: Release,
  run: OneOffCommand,
  settings: ManifestSettings,
  labels: Record<string, string>,
): V1JobSpec {
  const names = appNames(app, settings);
  const container = renderAppContainer(app, release, names, run.command, processResources(run));
  return {
    backoffLimit: 0,
    activeDeadlineSeconds: run.deadlineSeconds,
    template: {
      metadata: { labels },
      spec: { ...renderPodSpec(settings, [container]), restartPolicy: "Never" },
    },
  };
}
