import { type Db, listCronJobs, schema } from "@kli8nt/db";
import { LABEL_APP, LABEL_DEPLOYMENT, LABEL_PHASE, PHASE_CRON } from "@kli8nt/manifests";
import type { V1Job } from "@kubernetes/client-node";
import { sql } from "drizzle-orm";
import type { KubeApi } from "./kube-api.ts";
import type { KubernetesDeployer } from "./kubernetes-deployer.ts";
import type { DesiredApp } from "./reconcile-all.ts";

/** The CronJob controller's annotation on each Job it makes: the scheduled time (Kubernetes 1.28+). */
const SCHEDULED_AT = "batch.kubernetes.io/cronjob-scheduled-timestamp";
const LABEL_CRON = "kli8nt.io/cron";

export interface CronRunRow {
  readonly cron: string;
  readonly scheduledAt: Date;
  readonly deploymentId: string | null;
  readonly state: "running" | "succeeded" | "failed";
  readonly exitCode: number | null;
  readonly reason: string | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

/**
 * One run of a cron entry as its Job reports it. A Job's pod exit code is not on the Job: a failed run's
 * code is read from its pod (`exitCodeOf`), a succeeded one is 0.
 */
export function cronRunOf(job: V1Job, exitCode: number | null): CronRunRow | null {
  const labels = job.metadata?.labels ?? {};
  const cron = labels[LABEL_CRON];
  const at = job.metadata?.annotations?.[SCHEDULED_AT] ?? job.metadata?.creationTimestamp?.toString();
  if (!cron || !at) return null;
  const scheduledAt = new Date(at);
  scheduledAt.setUTCSeconds(0, 0);
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((c) => c.type === "Failed" && c.status === "True");
  const complete = conditions.find((c) => c.type === "Complete" && c.status === "True");
  const state = failed ? "failed" : complete || (job.status?.succeeded ?? 0) > 0 ? "succeeded" : "running";
  const finished = failed?.lastTransitionTime ?? complete?.lastTransitionTime ?? job.status?.completionTime;
  return {
    cron,
    scheduledAt,
    deploymentId: labels[LABEL_DEPLOYMENT] ?? null,
    state,
    exitCode: state === "succeeded" ? 0 : state === "failed" ? exitCode : null,
    reason: failed ? `${failed.reason ?? "Failed"}: ${failed.message ?? ""}`.trim() : null,
    startedAt: job.status?.startTime ? new Date(job.status.startTime) : null,
    finishedAt: state === "running" || !finished ? null : new Date(finished),
  };
}

async function exitCodeOf(api: KubeApi, namespace: string, job: V1Job): Promise<number | null> {
  const pods = await api.core.listNamespacedPod({
    namespace,
    labelSelector: `batch.kubernetes.io/job-name=${job.metadata?.name ?? ""}`,
  });
  for (const pod of pods.items)
    for (const s of pod.status?.containerStatuses ?? [])
      if (s.state?.terminated) return s.state.terminated.exitCode;
  return null;
}

/**
 * Records the cron runs of one app from its Jobs into `cron_runs` (ADR 0206): a row per (entry, scheduled
 * minute), inserted while running and finished once the Job ends; a finished row is never rewritten, so a
 * resync every minute writes only what changed. Jobs the CronJob controller already removed (history limit
 * 3) were recorded by an earlier resync. Returns the runs seen.
 */
export async function recordCronRuns(
  db: Db,
  api: KubeApi,
  app: { readonly id: string; readonly name: string },
  namespace: string,
): Promise<CronRunRow[]> {
  const jobs = await listCronJobs(db, app.id);
  if (jobs.length === 0) return [];
  const ids = new Map(jobs.map((j) => [j.name, j.id]));
  const listed = await api.batch.listNamespacedJob({
    namespace,
    labelSelector: `${LABEL_APP}=${app.name},${LABEL_PHASE}=${PHASE_CRON}`,
  });
  const runs: CronRunRow[] = [];
  for (const job of listed.items) {
    const failed = job.status?.conditions?.some((c) => c.type === "Failed" && c.status === "True");
    const run = cronRunOf(job, failed ? await exitCodeOf(api, namespace, job) : null);
    const cronJobId = run ? ids.get(run.cron) : undefined;
    if (!run || !cronJobId) continue;
    runs.push(run);
    const { cron: _name, ...values } = run;
    await db
      .insert(schema.cronRuns)
      .values({ id: `run_${job.metadata?.uid ?? cronJobId}`, cronJobId, appId: app.id, ...values })
      .onConflictDoUpdate({
        target: [schema.cronRuns.cronJobId, schema.cronRuns.scheduledAt],
        set: {
          state: values.state,
          exitCode: values.exitCode,
          reason: values.reason,
          finishedAt: values.finishedAt,
        },
        // A finished run stays as recorded; only a running one moves on.
        setWhere: sql`${schema.cronRuns.state} = 'running' and ${values.state} <> 'running'`,
      });
  }
  return runs;
}

/**
 * The cron history of every live app with cron entries, once per resync. One app's failure is logged and
 * retried at the next resync; it never stops the others.
 */
export async function recordCronHistory(
  db: Db,
  deployer: KubernetesDeployer,
  desired: readonly DesiredApp[],
  logger: { warn(obj: object, msg: string): void },
): Promise<void> {
  for (const d of desired) {
    if (!d.live?.cron?.length) continue;
    try {
      await recordCronRuns(db, deployer.api, d.app, deployer.namespaceOf(d.app.name));
    } catch (error) {
      logger.warn({ err: error, app: d.app.name }, "Recording cron runs failed; the next resync retries");
    }
  }
}
