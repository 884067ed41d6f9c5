export {
  type KubernetesDeployControllerConfig,
  type KubernetesRuntimeConfig,
  loadKubernetesDeployControllerConfig,
  loadKubernetesRuntimeConfig,
} from "./config.ts";
export { type CronRunRow, recordCronRuns } from "./cron-history.ts";
export { readDesiredState } from "./desired-state.ts";
export { FIELD_MANAGER, type KubeApi, loadKubeConfig, makeKubeApi } from "./kube-api.ts";
export { type AppRelease, type DeployOutcome, KubernetesDeployer } from "./kubernetes-deployer.ts";
export {
  type DesiredApp,
  type ReconcileReport as KubernetesReconcileReport,
  reconcileAll,
} from "./reconcile-all.ts";
export {
  AUTOSCALE_NEEDS_METRICS_API,
  forgetMetricsApi,
  METRICS_API_SERVICE,
  type MetricsApiState,
  metricsApiState,
} from "./release-extras.ts";
export { type RolloutStatus, rolloutStatus } from "./rollout-status.ts";
export {
  type KubernetesDeployController,
  type KubernetesDeployControllerOptions,
  startKubernetesDeployController,
} from "./start-kubernetes-deploy-controller.ts";
