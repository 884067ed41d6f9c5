import { backoffDelay, type Deployment, type ReconcileResult } from "@kli8nt/core";
import { updateDeploymentConditions } from "@kli8nt/db";
import type { DeployDeps } from "../deploy-handler.ts";
import type { ReleaseInstance } from "../runtime.ts";
import { startRelease } from "../start-release.ts";
import { readDesiredApp } from "./app-state.ts";

export interface HealSettings {
  /** First pause before restarting a release that died again soon after a restart; doubles per crash. */
  readonly crashBackoffMs: number;
  readonly crashBackoffMaxMs: number;
  /** A restarted release that stays up this long is healthy again: its crash streak is forgotten. */
  readonly stableMs: number;
  readonly now: () => number;
}

export const DEFAULT_HEAL: HealSettings = {
  crashBackoffMs: 1000,
  crashBackoffMaxMs: 5 * 60_000,
  stableMs: 30_000,
  now: () => Date.now(),
};

export interface AppReconcilerDeps extends DeployDeps {
  readonly heal: HealSettings;
  /** Removes what a deleted app leaves besides its instances (images, layer cache). */
  readonly removeArtifacts?: (appName: string) => Promise<void>;
  /** True for an app this installation had: only those are removed once their row is gone. */
  readonly wasKnown?: (appName: string) => boolean;
  /** Hands a `deploying` row to the deploy queue, which owns it (a lost message must not strand it). */
  readonly onDeploying?: (deploymentId: string) => void;
}

/** Per release: restarts since it last stayed up, and when the newest one happened. */
type Streak = { count: number; lastRestartAt: number };

/**
 * Level-triggered reconcile of one app on the local runtime. Desired state is the database (the app, its
 * newest live release, a deploy under way); actual state is the runtime's list. A deleted app loses its
 * instances, route and artifacts; a live release whose instance died is restarted, at once the first
 * time and with a doubling pause while it keeps dying (crash loop); strays are removed. An app with a
 * deploy under way belongs to the deploy handler (both run under the same per-app lock).
 */
export function appReconciler(deps: AppReconcilerDeps): (appName: string) => Promise<ReconcileResult> {
  const streaks = new Map<string, Streak>();
  return async (appName) => {
    const desired = await readDesiredApp(deps.db, appName);
    const instances = (await deps.runtime.list()).filter((i) => i.appName === appName);
    if (!desired.app) return deps.wasKnown?.(appName) ? removeApp(deps, appName, instances) : {};
    if (desired.deploying) {
      deps.onDeploying?.(desired.deploying);
      return {};
    }
    const live = desired.live;
    await removeStrays(deps, appName, instances, live?.id);
    if (!live?.image) return {};
    const instance = instances.find((i) => i.deploymentId === live.id);
    if (instance?.running) return keepRunning(deps, streaks, appName, live, instance);
    return restart(deps, streaks, appName, { ...live, image: live.image });
  };
}

/** Instances of the app other than its live release (a crash mid-deploy, an undrained old release). */
async function removeStrays(
  deps: AppReconcilerDeps,
  appName: string,
  instances: readonly ReleaseInstance[],
  liveId: string | undefined,
): Promise<void> {
  for (const stray of instances.filter((i) => i.deploymentId !== liveId)) {
    deps.capture?.stop(stray.deploymentId);
    await deps.runtime.stop(stray.deploymentId);
    deps.logger.info({ app: appName, deploymentId: stray.deploymentId }, "Removed stray release");
  }
}

async function removeApp(
  deps: AppReconcilerDeps,
  appName: string,
  instances: readonly ReleaseInstance[],
): Promise<ReconcileResult> {
  deps.routes.delete(appName);
  // The app is gone and so is its route: no request waits for these answers, so no grace period.
  await Promise.all(
    instances.map((i) => {
      deps.capture?.stop(i.deploymentId);
      return deps.runtime.stop(i.deploymentId, { graceSeconds: 0 });
    }),
  );
  // Also when no instance was left (it had crashed): the images are the app's all the same.
  await deps.removeArtifacts?.(appName);
  deps.logger.info(
    { app: appName, removed: instances.map((i) => i.deploymentId) },
    "Removed deleted app's releases",
  );
  return {};
}

async function keepRunning(
  deps: AppReconcilerDeps,
  streaks: Map<string, Streak>,
  appName: string,
  live: Deployment,
  instance: ReleaseInstance,
): Promise<ReconcileResult> {
  const route = deps.routes.get(appName);
  if (route?.kind !== "upstream" || route.url !== instance.upstream)
    deps.routes.set(appName, { kind: "upstream", url: instance.upstream });
  await deps.capture?.ensure({ deploymentId: live.id, appId: live.appId, appName });
  const streak = streaks.get(live.id);
  const now = deps.heal.now();
  if (streak && now - streak.lastRestartAt < deps.heal.stableMs)
    return { requeueAfterMs: deps.heal.stableMs - (now - streak.lastRestartAt) };
  streaks.delete(live.id);
  await updateDeploymentConditions(
    deps.db,
    live,
    [
      { type: "available", status: "true", reason: "Running", message: "The release answers" },
      { type: "degraded", status: "false", reason: "Running", message: "" },
    ],
    new Date(now),
  );
  return {};
}

async function restart(
  deps: AppReconcilerDeps,
  streaks: Map<string, Streak>,
  appName: string,
  live: Deployment & { image: string },
): Promise<ReconcileResult> {
  const now = deps.heal.now();
  const streak = streaks.get(live.id) ?? { count: 0, lastRestartAt: Number.NEGATIVE_INFINITY };
  const died = await describeDeath(deps, live.id);
  const remaining = streak.lastRestartAt + crashDelay(deps, streak.count) - now;
  if (remaining > 0) {
    const message = `${died.what}; back-off ${Math.ceil(remaining / 1000)} s before restart ${streak.count + 1}${died.output}`;
    deps.routes.set(appName, { kind: "status", status: "crashed", message });
    await updateDeploymentConditions(deps.db, live, crashConditions("CrashLoop", message), new Date(now));
    return { requeueAfterMs: remaining };
  }
  const message = `${died.what}; restarting${died.output}`;
  deps.routes.set(appName, { kind: "status", status: "crashed", message });
  const conditions = await updateDeploymentConditions(
    deps.db,
    live,
    crashConditions("Restarting", message),
    new Date(now),
    { countRestart: true },
  );
  streaks.set(live.id, { count: streak.count + 1, lastRestartAt: now });
  deps.logger.warn({ app: appName, deploymentId: live.id, restart: streak.count + 1 }, "Restarting release");
  const started = await startRelease(deps, { ...live, appName });
  const at = new Date(deps.heal.now());
  if (!started.ok) {
    const failed = `${started.reason}${died.output}`;
    deps.routes.set(appName, { kind: "status", status: "crashed", message: failed });
    await updateDeploymentConditions(
      deps.db,
      { id: live.id, conditions },
      crashConditions("CrashLoop", failed),
      at,
    );
    return { requeueAfterMs: crashDelay(deps, streak.count + 1) };
  }
  deps.routes.set(appName, { kind: "upstream", url: started.upstream });
  await updateDeploymentConditions(
    deps.db,
    { id: live.id, conditions },
    [
      { type: "available", status: "true", reason: "Restarted", message: "The release answers again" },
      { type: "degraded", status: "true", reason: "Restarted", message },
    ],
    at,
  );
  // Looked at again once it has stayed up: only then is the crash streak forgotten.
  return { requeueAfterMs: deps.heal.stableMs };
}

function crashDelay(deps: AppReconcilerDeps, crashes: number): number {
  return backoffDelay(crashes, deps.heal.crashBackoffMs, deps.heal.crashBackoffMaxMs);
}

/** How the release died and its last output lines, for the route's page and the degraded condition. */
async function describeDeath(
  deps: AppReconcilerDeps,
  deploymentId: string,
): Promise<{ what: string; output: string }> {
  const exit = await deps.runtime.status(deploymentId);
  if (!exit) return { what: "The release's instance is gone", output: "" };
  const tail = (await deps.runtime.logs(deploymentId, 5)).join(" | ").slice(-1500);
  const code = exit.exitCode === null ? "" : ` with code ${exit.exitCode}`;
  return { what: `The release exited${code}`, output: tail ? `. Last output: ${tail}` : "" };
}

function crashConditions(reason: "Restarting" | "CrashLoop", message: string) {
  return [
    { type: "available", status: "false", reason, message },
    { type: "degraded", status: "true", reason, message },
  ] as const;
}
