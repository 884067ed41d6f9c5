export { type DeployControllerConfig, loadDeployControllerConfig } from "./config.ts";
export {
  createRuntime,
  type DeployControllerDeps,
  hasPodman,
  startDeployController,
} from "./deploy-controller.ts";
export { type DeployDeps, type DeploySettings, deployHandler } from "./deploy-handler.ts";
export { removeAppImages } from "./podman/podman-images.ts";
export { type PodmanOptions, podmanRuntime } from "./podman/podman-runtime.ts";
export { type ProcessRuntimeOptions, processRuntime } from "./process/process-runtime.ts";
export { type ReconcileReport, reconcileReleases } from "./reconcile.ts";
export { createRouter, type Router, type RouterOptions } from "./router/create-router.ts";
export { MemoryRouteTable } from "./router/memory-route-table.ts";
export type { RouterLogger } from "./router/types.ts";
export type { RouteTable, RouteTarget } from "./routes.ts";
export { RunLogCapture, type RunLogCaptureDeps, type RunLogRecord, toNanos } from "./run-log-capture.ts";
export type { ReleaseInstance, ReleaseSpec, ReleaseStatus, RunLine, Runtime } from "./runtime.ts";
