import type { Bus, Consumer } from "@kli8nt/bus";
import { MESSAGE_SCHEMAS, QUEUES } from "@kli8nt/core";
import type { DeployControllerConfig } from "./config.ts";
import { type DeployDeps, deployHandler } from "./deploy-handler.ts";
import { exec } from "./exec.ts";
import { podmanRuntime } from "./podman/podman-runtime.ts";
import { processRuntime } from "./process/process-runtime.ts";
import { reconcileReleases } from "./reconcile.ts";
import type { Runtime } from "./runtime.ts";

/** True when `podman` runs on this machine. */
export async function hasPodman(env: Record<string, string>): Promise<boolean> {
  try {
    return (await exec("podman", ["--version"], { env, timeoutMs: 10_000 })).code === 0;
  } catch {
    return false;
  }
}

/** The configured runtime; `auto` picks podman when it is installed, else the unisolated process runtime. */
export async function createRuntime(config: DeployControllerConfig): Promise<Runtime> {
  const hostEnv = { ...config.hostEnv };
  const kind =
    config.runtime === "auto" ? ((await hasPodman(hostEnv)) ? "podman" : "process") : config.runtime;
  if (kind === "process")
    return processRuntime({ runDir: config.runDir, hostEnv, stopGraceSeconds: config.stopGraceSeconds });
  return podmanRuntime({ hostEnv, memory: config.appMemory, stopGraceSeconds: config.stopGraceSeconds });
}

/** Reconciles the runtime with the database, then consumes DEPLOY. */
export async function startDeployController(
  deps: DeployDeps & { readonly bus: Bus; readonly prefetch?: number },
): Promise<Consumer> {
  if (!deps.runtime.isolated)
    deps.logger.warn({ runtime: deps.runtime.kind }, "Apps run unisolated: podman is not installed");
  await reconcileReleases(deps);
  // Deploys of one app are serialized by the handler; prefetch lets different apps deploy side by side.
  return deps.bus.consume(QUEUES.deploy, MESSAGE_SCHEMAS.DEPLOY, deployHandler(deps), {
    prefetch: deps.prefetch ?? 4,
  });
}
