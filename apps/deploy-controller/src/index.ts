export { type DeployControllerConfig, loadDeployControllerConfig } from "./config.ts";
export { CronScheduler, type CronSchedulerDeps, type CronSchedulerSettings } from "./cron/cron-scheduler.ts";
export {
  createEngine,
  type DeployControllerDeps,
  hasPodman,
  startDeployController,
} from "./deploy-controller.ts";
export { type DeployDeps, type DeploySettings, deployHandler, type OneOffLog } from "./deploy-handler.ts";
export {
  AcmeIssuer,
  type AcmeIssuerOptions,
  certificateFacts,
  trustAcmeCaFile,
} from "./domains/acme-issuer.ts";
export {
  type CertificateIssuer,
  DEFAULT_DOMAIN_SETTINGS,
  DomainReconciler,
  type DomainReconcilerDeps,
  type DomainReconcilerSettings,
} from "./domains/domain-reconciler.ts";
export type { Engine, Instance, InstanceSpec, InstanceStatus, RunLine } from "./engine.ts";
export { DEFAULT_HEAL, type HealSettings } from "./heal/app-reconciler.ts";
export { type LocalRuntimeDeps, type LocalRuntimeSettings, localRuntime } from "./local/local-runtime.ts";
export {
  installationOf,
  PodmanStatsSampler,
  type ProcessSample,
  startStatsLoop,
} from "./metrics/podman-stats.ts";
export { RestartTracker } from "./metrics/restart-tracker.ts";
export { type PodmanOptions, podmanEngine } from "./podman/podman-engine.ts";
export { removeAppImages } from "./podman/podman-images.ts";
export { limitFlags } from "./podman/quantities.ts";
export { type ProcessEngineOptions, processEngine } from "./process/process-engine.ts";
export type { RouteTable, RouteTarget } from "./routes.ts";
export { RunLogCapture, type RunLogCaptureDeps, type RunLogRecord, toNanos } from "./run-log-capture.ts";
export type {
  ApplyOutcome,
  AppObservation,
  DesiredRelease,
  OneOffResult,
  OneOffSpec,
  ProcessSpec,
  RuntimePort,
} from "./runtime-port.ts";
