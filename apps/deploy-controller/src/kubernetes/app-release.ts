import type { CronEntry } from "@kli8nt/manifests";
import type { DesiredRelease } from "../runtime-port.ts";
import type { AppRelease } from "./kubernetes-deployer.ts";

/** A cron run still going after this long is killed (the Job's deadline), as on one machine (ADR 0191). */
export const CRON_RUN_DEADLINE_SECONDS = 3600;

/** An app release with its scheduled commands: absent leaves the app's CronJobs as they are. */
export type AppReleaseWithCron = AppRelease & { readonly cron?: readonly CronEntry[] };

/**
 * What the deployer renders for a desired release: its formation (a stopped app's counts are already 0),
 * the rolling-restart time, web's health path, its autoscaler and its cron entries (suspended while the
 * app is stopped, sized like web as the release phase is). The deploy handler and the resync both go
 * through here, so a resync never renders a formation the deploy did not.
 */
export function appReleaseOf(r: DesiredRelease): AppReleaseWithCron {
  const web = r.processes.find((p) => p.type === "web") ?? r.processes[0];
  return {
    app: { id: r.appId, name: r.appName },
    release: {
      deploymentId: r.deploymentId,
      image: r.image,
      port: r.port,
      processes: r.processes.map((p) => ({ ...p, count: r.stopped ? 0 : p.count })),
      healthCheck: { path: r.healthPath },
      ...(r.restartedAt ? { restartedAt: r.restartedAt.toISOString() } : {}),
      ...(r.autoscale ? { autoscale: r.autoscale } : {}),
    },
    env: r.env,
    ...(r.cron
      ? {
          cron: r.cron.map((c) => ({
            ...c,
            memory: web?.memory ?? "512Mi",
            cpu: web?.cpu ?? "0.5",
            deadlineSeconds: CRON_RUN_DEADLINE_SECONDS,
            suspend: r.stopped,
          })),
        }
      : {}),
  };
}
