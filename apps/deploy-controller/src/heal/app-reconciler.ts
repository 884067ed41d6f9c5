import {
  backoffDelay,
  type ConditionInput,
  DEFAULT_FORMATION,
  type Deployment,
  type ReconcileResult,
} from "@kli8nt/core";
import { updateDeploymentConditions } from "@kli8nt/db";
import type { DeployDeps } from "../deploy-handler.ts";
import { desiredRelease } from "../desired-release.ts";
import type { ApplyOutcome } from "../runtime-port.ts";
import { readDesiredApp } from "./app-state.ts";

export interface HealSettings {
  /** First pause before trying again a live release that could not be brought back; doubles per failure. */
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
  /** Removes what a deleted app leaves besides its instances (images, layer cache, logs). */
  readonly removeArtifacts?: (appName: string) => Promise<void>;
  /** True for an app this installation had: only those are removed once their row is gone. */
  readonly wasKnown?: (appName: string) => boolean;
  /** Hands a `deploying` row to the deploy queue, which owns it (a lost message must not strand it). */
  readonly onDeploying?: (deploymentId: string) => void;
}

/**
 * Level-triggered reconcile of one app on any runtime (ADR 0161, 0195). Desired state is the database (the
 * app, its newest live release with its formation, a deploy under way); the runtime converges on it with
 * `apply`, which restarts dead instances (with a crash back-off), scales, rolls a restart and stops a
 * stopped app. A deleted app loses everything it ran, its route and its artifacts. An app with a deploy
 * under way belongs to the deploy handler (both run under the same per-app lock).
 */
export function appReconciler(deps: AppReconcilerDeps): (appName: string) => Promise<ReconcileResult> {
  // Per app: applies in a row that could not bring the live release back.
  const failures = new Map<string, number>();
  return async (appName) => {
    const desired = await readDesiredApp(deps.db, appName);
    if (!desired.app) {
      if (deps.wasKnown?.(appName)) await removeApp(deps, appName);
      return {};
    }
    if (desired.deploying) {
      deps.onDeploying?.(desired.deploying);
      return {};
    }
    const live = desired.live;
    if (!live?.image) {
      // A first deploy that crashed mid-way may have left instances nobody routes to.
      if ((await deps.runtime.observe(appName)).instances.length > 0) await deps.runtime.remove(appName);
      return {};
    }
    const release = await desiredRelease(
      deps.db,
      deps.box,
      live,
      deps.settings.formationDefaults ?? DEFAULT_FORMATION,
    );
    if (!release) return {};
    const outcome = await deps.runtime.apply(release, deps.signal);
    const at = new Date(deps.heal.now());
    if (!outcome.ok) {
      const count = (failures.get(appName) ?? 0) + 1;
      failures.set(appName, count);
      await updateDeploymentConditions(deps.db, live, down(outcome.reason), at);
      deps.logger.warn(
        { app: appName, deploymentId: live.id, reason: outcome.reason },
        "Live release is down",
      );
      return { requeueAfterMs: backoffDelay(count, deps.heal.crashBackoffMs, deps.heal.crashBackoffMaxMs) };
    }
    failures.delete(appName);
    await record(deps, live, outcome, at);
    return outcome.retryAfterMs === undefined ? {} : { requeueAfterMs: outcome.retryAfterMs };
  };
}

async function record(
  deps: AppReconcilerDeps,
  live: Deployment,
  outcome: Extract<ApplyOutcome, { ok: true }>,
  at: Date,
): Promise<void> {
  const restarted = outcome.restarted ?? 0;
  if (restarted > 0)
    deps.logger.warn({ app: live.appId, deploymentId: live.id, restarted }, "Restarted crashed instances");
  const conditions: ConditionInput[] =
    restarted > 0 || outcome.recovering
      ? [
          { type: "available", status: "true", reason: "Restarted", message: "The release answers again" },
          {
            type: "degraded",
            status: "true",
            reason: "Restarted",
            message: outcome.degraded ?? "Restarted after a crash",
          },
        ]
      : outcome.degraded
        ? [
            { type: "available", status: "true", reason: "Running", message: "The release answers" },
            { type: "degraded", status: "true", reason: "CrashLoop", message: outcome.degraded },
          ]
        : [
            { type: "available", status: "true", reason: "Running", message: "The release answers" },
            { type: "degraded", status: "false", reason: "Running", message: "" },
          ];
  const next = await updateDeploymentConditions(deps.db, live, conditions, at, {
    countRestart: restarted > 0,
  });
  // Further restarts in the same pass (several instances died) count too.
  for (let n = 1; n < restarted; n++)
    await updateDeploymentConditions(deps.db, { id: live.id, conditions: next }, [], at, {
      countRestart: true,
    });
}

function down(reason: string): ConditionInput[] {
  return [
    { type: "available", status: "false", reason: "CrashLoop", message: reason },
    { type: "degraded", status: "true", reason: "CrashLoop", message: reason },
  ];
}

async function removeApp(deps: AppReconcilerDeps, appName: string): Promise<void> {
  await deps.runtime.remove(appName);
  // Also when nothing was running any more (it had crashed): the images and logs are the app's all the same.
  await deps.removeArtifacts?.(appName);
  deps.logger.info({ app: appName }, "Removed deleted app");
}
