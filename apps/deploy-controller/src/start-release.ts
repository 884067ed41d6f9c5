import { resolveEnv } from "@kli8nt/db";
import type { DeployDeps } from "./deploy-handler.ts";
import { releasePort } from "./deployment-rows.ts";
import { waitHealthy } from "./health-check.ts";
import { appHealthPath } from "./health-path.ts";
import type { ReleaseInstance } from "./runtime.ts";

export interface LiveRelease {
  readonly id: string;
  readonly appId: string;
  readonly appName: string;
  readonly image: string;
  /** The port recorded on the row; read again when absent. */
  readonly port?: number | null;
}

/**
 * Starts a live release again (its recorded port, the app's current env), follows its output and waits for
 * it to answer: the reconcile at start and the heal loop both bring releases back this way.
 */
export async function startRelease(
  deps: DeployDeps,
  live: LiveRelease,
): Promise<{ ok: true; upstream: string } | { ok: false; reason: string }> {
  const port = live.port ?? (await releasePort(deps.db, live.id));
  const env = Object.fromEntries(
    (await resolveEnv(deps.db, deps.box, live.appId)).map((v) => [v.key, v.value]),
  );
  let started: ReleaseInstance;
  try {
    started = await deps.runtime.start({
      deploymentId: live.id,
      appId: live.appId,
      appName: live.appName,
      image: live.image,
      port,
      env,
    });
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "RELEASE_START_FAILED")
      return { ok: false, reason: error.message };
    throw error;
  }
  await deps.capture?.ensure({ deploymentId: live.id, appId: live.appId, appName: live.appName });
  const health = await waitHealthy(started.upstream, port, {
    path: await appHealthPath(deps.db, live.appId),
    timeoutMs: deps.settings.healthTimeoutMs,
    status: () => deps.runtime.status(live.id),
  });
  return health.ok ? { ok: true, upstream: started.upstream } : { ok: false, reason: health.reason };
}
