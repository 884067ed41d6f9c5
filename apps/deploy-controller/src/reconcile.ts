import type { DeployDeps } from "./deploy-handler.ts";
import { liveDeployments } from "./deployment-rows.ts";
import { startRelease } from "./start-release.ts";

export interface ReconcileReport {
  readonly kept: string[];
  readonly started: string[];
  readonly removed: string[];
}

type Desired = { id: string; appId: string; appName: string; image: string | null };

/** The newest live deployment of each app. */
async function desiredReleases(deps: DeployDeps): Promise<Map<string, Desired>> {
  const desired = new Map<string, Desired>();
  for (const { deployment: d, appName } of await liveDeployments(deps.db)) {
    if (!desired.has(appName)) desired.set(appName, { id: d.id, appId: d.appId, appName, image: d.image });
  }
  return desired;
}

/**
 * Converges the runtime to the database once, at start: the newest live release of each app runs and takes
 * its route; every other labelled instance (a crash mid-deploy, an undrained old release) is removed. So a
 * restart never leaves two instances of a release, nor an instance nobody routes to.
 */
export async function reconcileReleases(deps: DeployDeps): Promise<ReconcileReport> {
  const desired = await desiredReleases(deps);
  const observed = await deps.runtime.list();
  const report = { kept: [] as string[], started: [] as string[], removed: [] as string[] };
  for (const instance of observed) {
    const want = desired.get(instance.appName);
    if (want?.id === instance.deploymentId && instance.running) {
      deps.routes.set(instance.appName, { kind: "upstream", url: instance.upstream });
      await deps.capture?.ensure({ deploymentId: want.id, appId: want.appId, appName: want.appName });
      report.kept.push(instance.deploymentId);
      continue;
    }
    await deps.runtime.stop(instance.deploymentId);
    report.removed.push(instance.deploymentId);
  }
  for (const want of desired.values()) {
    if (report.kept.includes(want.id) || want.image === null) continue;
    await restartRelease(deps, { ...want, image: want.image });
    report.started.push(want.id);
  }
  if (observed.length > 0 || report.started.length > 0)
    deps.logger.info(report, "Reconciled releases with the database");
  return report;
}

/** Starts a live release whose instance is gone (machine reboot); the route says crashed if it cannot. */
async function restartRelease(
  deps: DeployDeps,
  want: { id: string; appId: string; appName: string; image: string },
): Promise<void> {
  let outcome: Awaited<ReturnType<typeof startRelease>>;
  try {
    outcome = await startRelease(deps, want);
  } catch (error) {
    outcome = { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  deps.routes.set(
    want.appName,
    outcome.ok
      ? { kind: "upstream", url: outcome.upstream }
      : {
          kind: "status",
          status: "crashed",
          message: `The live release did not come back: ${outcome.reason}`,
        },
  );
}
