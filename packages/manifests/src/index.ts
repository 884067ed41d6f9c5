export { type AdmissionPolicyOptions, renderControllerAdmissionPolicy } from "./admission-policy.ts";
export { appNamespace } from "./app-namespace.ts";
export { renderAutoscaler } from "./autoscaler.ts";
export {
  ANNOTATION_HOSTNAME,
  type CertificateObject,
  type CustomDomainInput,
  type CustomDomainObjects,
  customDomainName,
  customDomainProblem,
  LABEL_CUSTOM_DOMAIN,
  renderCustomDomain,
} from "./custom-domains.ts";
export { renderDeployment } from "./deployment.ts";
export { ALWAYS_DENIED_CIDRS, renderEgressPolicy } from "./egress-policy.ts";
export { envChecksum, renderEnvSecret } from "./env-secret.ts";
export type {
  Autoscale,
  HealthCheck,
  ManifestApp,
  ManifestFormation,
  ManifestProcess,
  ManifestRelease,
} from "./inputs.ts";
export {
  ANNOTATION_ENV_CHECKSUM,
  ANNOTATION_RESTARTED_AT,
  type AppNames,
  appNames,
  cronJobName,
  FIELD_MANAGER_PREFIX,
  isDns1123Label,
  isDns1123Subdomain,
  isLabelValue,
  LABEL_APP,
  LABEL_DEPLOYMENT,
  LABEL_MANAGED_BY,
  LABEL_MANAGED_NAMESPACE,
  LABEL_PHASE,
  LABEL_PROCESS,
  MANAGED_BY,
  PHASE_CRON,
  PHASE_PROCESS,
  PHASE_RELEASE,
  processSelector,
  processWorkload,
  releaseJobName,
  releaseLabels,
  runSelector,
} from "./names.ts";
export {
  CRON_STARTING_DEADLINE_SECONDS,
  type CronEntry,
  type OneOffCommand,
  RELEASE_JOB_TTL_SECONDS,
  renderCronJob,
  renderReleaseJob,
} from "./one-off-jobs.ts";
export {
  LABEL_ADDON,
  type PostgresAddonInput,
  postgresAddonNames,
  renderCnpgCluster,
  renderPostgresAddon,
} from "./postgres-addon.ts";
export {
  type BackupClaimInput,
  type CnpgBackupMethod,
  type CnpgObject,
  LABEL_ADDON_JOB,
  type PostgresJobInput,
  postgresBackupClaimName,
  postgresBackupFile,
  postgresBackupLocation,
  postgresJobName,
  renderBackupClaim,
  renderBackupJob,
  renderCnpgBackup,
  renderCnpgScheduledBackup,
  renderRestoreJob,
} from "./postgres-backup-job.ts";
export {
  appRoleName,
  type ControllerRbacOptions,
  DEFAULT_DEPLOY_CONTROLLER_RBAC,
  DEPLOY_CONTROLLER_APP_RULES,
  deployControllerClusterRules,
  renderAppRoleBinding,
  renderDeployControllerRbac,
} from "./rbac.ts";
export { type AppManifests, applyOrder, renderApp } from "./render-app.ts";
export { CPU_LIMIT_FACTOR, formationQuota, processResources } from "./resources.ts";
export {
  type CertificateIssuer,
  type ContainerResources,
  DEFAULT_SETTINGS,
  type EgressSettings,
  type ManifestSettings,
  type ManifestSettingsInput,
  type NamespaceQuota,
  type PodPlacement,
  type PodToleration,
  resolveSettings,
} from "./settings.ts";
