import { createHash } from "node:crypto";
import path from "node:path";
import type { Bus, Consumer } from "@kli8nt/bus";
import { MESSAGE_SCHEMAS, QUEUES } from "@kli8nt/core";
import type { DeployControllerConfig } from "./config.ts";
import { type DeployDeps, deployHandler } from "./deploy-handler.ts";
import { deployQueue, recordDeployRequest } from "./deploy-queue.ts";
import type { Engine } from "./engine.ts";
import { exec } from "./exec.ts";
import { DEFAULT_HEAL, type HealSettings } from "./heal/app-reconciler.ts";
import { startLocalReconciler } from "./heal/local-reconciler.ts";
import { KeyLock } from "./key-lock.ts";
import { clearContainerEnvDir } from "./podman/container-env.ts";
import { podmanEngine } from "./podman/podman-engine.ts";
import { processEngine } from "./process/process-engine.ts";

/** True when `podman` runs on this machine. */
export async function hasPodman(env: Record<string, string>): Promise<boolean> {
  try {
    return (await exec("podman", ["--version"], { env, timeoutMs: 10_000 })).code === 0;
  } catch {
    return false;
  }
}

/** The configured engine; `auto` picks podman when it is installed, else unisolated host processes. */
export async function createEngine(config: DeployControllerConfig): Promise<Engine> {
  const hostEnv = { ...config.hostEnv };
  const kind =
    config.runtime === "auto" ? ((await hasPodman(hostEnv)) ? "podman" : "process") : config.runtime;
  if (kind === "process")
    return processEngine({ runDir: config.runDir, hostEnv, stopGraceSeconds: config.stopGraceSeconds });
  const envDir = path.join(config.runDir, "env");
  await clearContainerEnvDir(envDir);
  return podmanEngine({
    hostEnv,
    memory: config.appMemory,
    stopGraceSeconds: config.stopGraceSeconds,
    installation: createHash("sha256").update(config.runDir).digest("hex").slice(0, 16),
    envDir,
  });
}

export type DeployControllerDeps = DeployDeps & {
  readonly bus: Bus;
  readonly prefetch?: number;
  /** How often every app is reconciled (crashed releases restarted, deleted apps removed). */
  readonly resyncMs?: number;
  readonly heal?: Partial<HealSettings>;
  readonly removeArtifacts?: (appName: string) => Promise<void>;
  /** For tests: the first retry delay of a failing deploy (default 100 ms). */
  readonly deployQueue?: { readonly baseDelayMs?: number };
};

/**
 * Converges every app once, then consumes DEPLOY (deploys) and APP (formation, restart, stop/start) and
 * keeps every app converged (a resync every `resyncMs`). Cancelling stops all of it.
 */
export async function startDeployController(deps: DeployControllerDeps): Promise<Consumer> {
  if (!deps.runtime.isolated)
    deps.logger.warn({ runtime: deps.runtime.kind }, "Apps run unisolated: podman is not installed");
  // One lock per app for deploys and reconciles; prefetch lets different apps deploy side by side.
  const lock = new KeyLock();
  const deploys = deployQueue(deps, deployHandler(deps, lock), deps.deployQueue ?? {});
  // The message is acknowledged once its request is on the row: from there the queue owns the deploy.
  const reconciler = startLocalReconciler(
    { ...deps, heal: { ...DEFAULT_HEAL, ...deps.heal }, onDeploying: (id) => deploys.add(id) },
    { lock, resyncMs: deps.resyncMs ?? 5000 },
  );
  const consumer = await deps.bus.consume(
    QUEUES.deploy,
    MESSAGE_SCHEMAS.DEPLOY,
    async (message) => {
      await recordDeployRequest(deps.db, message);
      reconciler.adopt(message.appName);
      deploys.add(message.deploymentId);
    },
    { prefetch: deps.prefetch ?? 4 },
  );
  // Before traffic arrives: the live releases run and hold their routes, strays are gone.
  await reconciler.initial();
  const changes = await deps.bus.consume(
    QUEUES.app,
    MESSAGE_SCHEMAS.APP,
    async (message) => reconciler.enqueue(message.appName),
    { prefetch: 8 },
  );
  return {
    async cancel() {
      await changes.cancel();
      await consumer.cancel();
      await reconciler.stop();
      await deploys.stop();
    },
  };
}
