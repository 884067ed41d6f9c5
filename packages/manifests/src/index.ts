export { type AdmissionPolicyOptions, renderControllerAdmissionPolicy } from "./admission-policy.ts";
export { renderDeployment } from "./deployment.ts";
export { ALWAYS_DENIED_CIDRS, renderEgressPolicy } from "./egress-policy.ts";
export { envChecksum, renderEnvSecret } from "./env-secret.ts";
export type { HealthCheck, ManifestApp, ManifestRelease } from "./inputs.ts";
export {
  ANNOTATION_ENV_CHECKSUM,
  type AppNames,
  appNames,
  FIELD_MANAGER_PREFIX,
  isDns1123Label,
  isDns1123Subdomain,
  isLabelValue,
  LABEL_APP,
  LABEL_DEPLOYMENT,
  LABEL_MANAGED_BY,
  LABEL_MANAGED_NAMESPACE,
  LABEL_PHASE,
  MANAGED_BY,
  releaseLabels,
  runSelector,
} from "./names.ts";
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
