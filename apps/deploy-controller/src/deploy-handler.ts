import type { Deployment, DeployRequested } from "@kli8nt/core";
import { type Db, resolveEnv, type SecretBox } from "@kli8nt/db";
import { loadDeployment, moveDeployment } from "./deployment-rows.ts";
import { waitHealthy } from "./health-check.ts";
import { appHealthPath } from "./health-path.ts";
import { KeyLock } from "./key-lock.ts";
import type { RouteTable } from "./routes.ts";
import type { RunLogCapture } from "./run-log-capture.ts";
import type { ReleaseInstance, Runtime } from "./runtime.ts";

export interface DeploySettings {
  readonly healthTimeoutMs: number;
  /** How long the previous release keeps running after traffic moved, for in-flight requests. */
  readonly drainMs: number;
  /** `http://{app}.localhost:8000`: the URL recorded on a live deployment. */
  readonly appUrlTemplate: string;
}

export interface DeployLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface DeployDeps {
  readonly db: Db;
  readonly box: SecretBox;
  readonly runtime: Runtime;
  readonly routes: RouteTable;
  readonly settings: DeploySettings;
  readonly logger: DeployLogger;
  readonly onOutboxWrite: () => void;
  /** Follows each started release's output into the log store (phase `run`). */
  readonly capture?: RunLogCapture;
}

const DONE = new Set(["live", "superseded", "failed", "cancelled"]);

/**
 * Handles DeployRequested: start the release, wait for it to answer, move the route to it, record `live`,
 * then stop the app's other releases after draining. A release that fails its health check is removed and
 * never takes traffic; the previous one keeps serving. One deploy per app at a time.
 */
export function deployHandler(
  deps: DeployDeps,
  lock: KeyLock = new KeyLock(),
): (message: DeployRequested) => Promise<void> {
  return (message) => lock.run(message.appName, () => deploy(deps, message));
}

async function deploy(deps: DeployDeps, message: DeployRequested): Promise<void> {
  const { db, logger } = deps;
  const log = { deploymentId: message.deploymentId, app: message.appName };
  const row = await loadDeployment(db, message.deploymentId);
  if (!row || DONE.has(row.state)) {
    logger.info({ ...log, state: row?.state ?? null }, "Skipped deploy: nothing to do");
    return;
  }
  try {
    if (row.state !== "deploying") {
      const moved = await moveDeployment(db, row.id, "deploy:deploying", "deploying");
      deps.onOutboxWrite();
      if (!moved && (await loadDeployment(db, row.id))?.state !== "deploying") return;
    }
    if (deps.routes.get(message.appName)?.kind !== "upstream") {
      deps.routes.set(message.appName, {
        kind: "status",
        status: "building",
        message: `Release v${row.number} is starting`,
      });
    }
    const instance = await startHealthy(deps, message, row);
    if (!instance) return;
    deps.routes.set(message.appName, { kind: "upstream", url: instance.upstream });
    const url = deps.settings.appUrlTemplate.replaceAll("{app}", message.appName);
    await moveDeployment(db, row.id, "deploy:live", "live", { url, reason: null });
    deps.onOutboxWrite();
    logger.info({ ...log, upstream: instance.upstream }, "Switched traffic to release");
    await drainOthers(deps, message);
  } finally {
    deps.onOutboxWrite();
  }
}

/** Starts the release and waits for it; on failure removes it and records the reason. */
async function startHealthy(
  deps: DeployDeps,
  message: DeployRequested,
  row: Deployment,
): Promise<ReleaseInstance | null> {
  const env = Object.fromEntries(
    (await resolveEnv(deps.db, deps.box, message.appId)).map((v) => [v.key, v.value]),
  );
  let reason: string;
  try {
    const instance = await deps.runtime.start({ ...message, env });
    // From the first line on, so a release that crashes during its health check leaves its output behind.
    await deps.capture?.ensure(message);
    const health = await waitHealthy(instance.upstream, message.port, {
      path: await appHealthPath(deps.db, message.appId),
      timeoutMs: deps.settings.healthTimeoutMs,
      status: () => deps.runtime.status(message.deploymentId),
    });
    if (health.ok) return instance;
    const tail = await deps.runtime.logs(message.deploymentId, 5);
    reason = `Health check failed: ${health.reason}${tail.length ? `. Last output: ${tail.join(" | ").slice(0, 1500)}` : ""}`;
  } catch (error) {
    if (!(error instanceof Error) || !("code" in error) || error.code !== "RELEASE_START_FAILED") throw error;
    reason = error.message;
  }
  await deps.runtime.stop(message.deploymentId);
  await moveDeployment(deps.db, row.id, "deploy:failed", "failed", { reason });
  deps.onOutboxWrite();
  if (deps.routes.get(message.appName)?.kind !== "upstream") {
    deps.routes.set(message.appName, { kind: "status", status: "no-release", message: reason });
  }
  deps.logger.warn({ deploymentId: row.id, app: message.appName, reason }, "Release failed its health check");
  return null;
}

async function drainOthers(deps: DeployDeps, message: DeployRequested): Promise<void> {
  const others = (await deps.runtime.list()).filter(
    (i) => i.appName === message.appName && i.deploymentId !== message.deploymentId,
  );
  if (others.length === 0) return;
  await new Promise((r) => setTimeout(r, deps.settings.drainMs));
  await Promise.all(others.map((i) => deps.runtime.stop(i.deploymentId)));
  deps.logger.info(
    { app: message.appName, stopped: others.map((i) => i.deploymentId) },
    "Stopped previous releases",
  );
}
