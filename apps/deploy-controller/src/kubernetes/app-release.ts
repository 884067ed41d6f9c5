import type { DesiredRelease } from "../runtime-port.ts";
import type { AppRelease } from "./kubernetes-deployer.ts";

/**
 * What the deployer renders for a desired release: its formation (a stopped app's counts are already 0),
 * the rolling-restart time and web's health path. The deploy handler and the resync both go through here,
 * so a resync never renders a formation the deploy did not.
 */
export function appReleaseOf(r: DesiredRelease): AppRelease {
  return {
    app: { id: r.appId, name: r.appName },
    release: {
      deploymentId: r.deploymentId,
      image: r.image,
      port: r.port,
      processes: r.processes.map((p) => ({ ...p, count: r.stopped ? 0 : p.count })),
      healthCheck: { path: r.healthPath },
      ...(r.restartedAt ? { restartedAt: r.restartedAt.toISOString() } : {}),
    },
    env: r.env,
  };
}
