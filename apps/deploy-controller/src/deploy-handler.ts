import {
  DEFAULT_FORMATION,
  type Deployment,
  type DeployRequested,
  type FormationDefaults,
  findCondition,
} from "@kli8nt/core";
import { type Db, type SecretBox, updateDeploymentConditions } from "@kli8nt/db";
import { loadDeployment, moveDeployment } from "./deployment-rows.ts";
import { desiredRelease } from "./desired-release.ts";
import { KeyLock } from "./key-lock.ts";
import type { DesiredRelease, RuntimePort } from "./runtime-port.ts";

export interface DeploySettings {
  /** Sizes and counts of a process type nobody set (configuration). */
  readonly formationDefaults?: FormationDefaults;
  /** How long the release command may run before the deployment fails. */
  readonly releaseTimeoutMs?: number;
}

export interface DeployLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Where a one-off run's output goes (the log store, phase `release` or `cron`). */
export type OneOffLog = (
  run: { appId: string; deploymentId: string; source: string },
  phase: "release" | "cron",
) => { onLine: (stream: "stdout" | "stderr", line: string) => void; flush: () => Promise<void> };

export interface DeployDeps {
  readonly db: Db;
  readonly box: SecretBox;
  /** Any adapter of the Runtime port: local (podman, process) or Kubernetes. */
  readonly runtime: RuntimePort;
  readonly settings: DeploySettings;
  readonly logger: DeployLogger;
  readonly onOutboxWrite: () => void;
  readonly oneOffLog?: OneOffLog | undefined;
  /** Aborted when the controller is abandoned: nothing more is written, as after a crash. */
  readonly signal?: AbortSignal | undefined;
  /** Told of every failed reconcile that will be retried (the platform's /metrics counts them). */
  readonly onReconcileError?: ((queue: "deploy" | "app") => void) | undefined;
}

const DONE = new Set(["live", "superseded", "failed", "cancelled"]);
const RELEASE_TIMEOUT_MS = 15 * 60_000;

/**
 * Handles a deploy on any runtime (ADR 0195): record `deploying`, run the release command once, apply the
 * release with the app's formation, record `live` with its URL or `failed` with the reason. A release that
 * never answers is removed by the runtime and the previous one keeps serving. One deploy per app at a time;
 * a redelivery re-applies, which converges and changes nothing.
 */
export function deployHandler(
  deps: DeployDeps,
  lock: KeyLock = new KeyLock(),
): (message: DeployRequested) => Promise<void> {
  return (message) => lock.run(message.appName, () => deploy(deps, message));
}

async function deploy(deps: DeployDeps, message: DeployRequested): Promise<void> {
  const { db, logger, signal } = deps;
  signal?.throwIfAborted();
  const log = { deploymentId: message.deploymentId, app: message.appName };
  const row = await loadDeployment(db, message.deploymentId);
  if (!row || DONE.has(row.state)) {
    logger.info({ ...log, state: row?.state ?? null }, "Skipped deploy: nothing to do");
    return;
  }
  try {
    // In cluster mode the build's `built` report reaches the api asynchronously: the message itself
    // proves the build, so it is recorded here rather than dropped.
    if (row.state === "building")
      await moveDeployment(db, row.id, "inform:built", "built", { image: message.image });
    if (row.state !== "deploying") {
      const moved = await moveDeployment(db, row.id, "deploy:deploying", "deploying", {
        image: message.image,
      });
      deps.onOutboxWrite();
      if (!moved && (await loadDeployment(db, row.id))?.state !== "deploying") return;
    }
    const desired = await desiredRelease(
      db,
      deps.box,
      { ...row, image: row.image ?? message.image, port: row.port ?? message.port },
      deps.settings.formationDefaults ?? DEFAULT_FORMATION,
    );
    if (!desired) return;
    if (!(await releasePhase(deps, row, desired))) return;
    const outcome = await deps.runtime.apply(desired, signal);
    signal?.throwIfAborted();
    if (outcome.ok) {
      const live = await moveDeployment(db, row.id, "deploy:live", "live", {
        url: outcome.url,
        reason: null,
      });
      if (live && outcome.conditions?.length) {
        const fresh = await loadDeployment(db, row.id);
        if (fresh) await updateDeploymentConditions(db, fresh, outcome.conditions, new Date());
      }
      logger.info({ ...log, url: outcome.url, runtime: deps.runtime.kind }, "Release is live");
    } else {
      await moveDeployment(db, row.id, "deploy:failed", "failed", { reason: outcome.reason });
      logger.warn({ ...log, reason: outcome.reason }, "Release failed");
    }
  } finally {
    deps.onOutboxWrite();
  }
}

/**
 * Runs the release command (migrations) once per deployment, in a one-off instance of the new image with the
 * app's env, before the release takes traffic. Skipped for a rollback and when it already succeeded (a
 * redelivery). A failure fails the deployment with its last lines; the previous release keeps serving.
 */
async function releasePhase(
  deps: DeployDeps,
  row: Deployment,
  desired: DesiredRelease & { releaseCommand: string | null },
): Promise<boolean> {
  const command = desired.releaseCommand;
  if (!command || row.trigger === "rollback") return true;
  if (findCondition(row.conditions, "released")?.status === "true") return true;
  const web = desired.processes.find((p) => p.type === "web") ?? desired.processes[0];
  const timeoutMs = deps.settings.releaseTimeoutMs ?? RELEASE_TIMEOUT_MS;
  const out = deps.oneOffLog?.({ appId: row.appId, deploymentId: row.id, source: "release" }, "release");
  out?.onLine("stdout", `Running release command: ${command}`);
  const result = await deps.runtime.runOnce(
    {
      deploymentId: row.id,
      appId: row.appId,
      appName: desired.appName,
      image: desired.image,
      env: desired.env,
      command,
      phase: "release",
      runId: String(row.number),
      processes: desired.processes,
      memory: web?.memory ?? DEFAULT_FORMATION.memory,
      cpu: web?.cpu ?? DEFAULT_FORMATION.cpu,
      timeoutMs,
      onLine: (stream, line) => out?.onLine(stream, line),
    },
    deps.signal,
  );
  deps.signal?.throwIfAborted();
  const ok = result.exitCode === 0;
  const what =
    result.exitCode === null
      ? `The release command did not finish within ${Math.round(timeoutMs / 1000)} s`
      : `The release command exited with code ${result.exitCode}`;
  out?.onLine(ok ? "stdout" : "stderr", ok ? "Release command succeeded" : what);
  await out?.flush();
  await updateDeploymentConditions(
    deps.db,
    row,
    [
      ok
        ? { type: "released", status: "true", reason: "ReleaseSucceeded", message: command }
        : { type: "released", status: "false", reason: "ReleaseFailed", message: what },
    ],
    new Date(),
  );
  if (ok) return true;
  const tail = result.tail.slice(-5).join(" | ").slice(-1500);
  const reason = `${what}${tail ? `. Last output: ${tail}` : ""}`;
  await moveDeployment(deps.db, row.id, "deploy:failed", "failed", { reason });
  deps.logger.warn({ deploymentId: row.id, app: desired.appName, reason }, "Release command failed");
  return false;
}
