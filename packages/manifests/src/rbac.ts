import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1PolicyRule,
  V1RoleBinding,
  V1ServiceAccount,
} from "@kubernetes/client-node";
import { type AppNames, LABEL_MANAGED_BY, MANAGED_BY } from "./names.ts";

export interface ControllerRbacOptions {
  /** Namespace the platform's own pods run in. */
  readonly namespace: string;
  /** The controller's ServiceAccount, ClusterRole and ClusterRoleBinding. */
  readonly name: string;
}

export const DEFAULT_DEPLOY_CONTROLLER_RBAC: ControllerRbacOptions = {
  namespace: "kli8nt",
  name: "kli8nt-deploy-controller",
};

/** Server-side apply is a PATCH; `update` is deliberately absent. */
const WRITE = ["get", "list", "watch", "create", "patch", "delete"];
const READ = ["get", "list", "watch"];

/** The ClusterRole bound in each app namespace only (by a RoleBinding there), never cluster-wide. */
export function appRoleName(controller: ControllerRbacOptions): string {
  return `${controller.name}-app`;
}

/**
 * What the deploy controller may do in every namespace: manage namespaces, grant itself the app role
 * inside one (a RoleBinding to that one ClusterRole, nothing else: `bind` is limited to it), and read
 * rollouts. No Secret, Deployment or Service write, and no Secret read, outside app namespaces; the
 * admission policy (renderControllerAdmissionPolicy) confines namespace and RoleBinding writes to
 * namespaces Kli8nt created (docs/adr/0141).
 */
export function deployControllerClusterRules(controller: ControllerRbacOptions): V1PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["namespaces"], verbs: WRITE },
    {
      apiGroups: ["rbac.authorization.k8s.io"],
      resources: ["rolebindings"],
      verbs: ["get", "create", "patch"],
    },
    {
      apiGroups: ["rbac.authorization.k8s.io"],
      resources: ["clusterroles"],
      verbs: ["bind"],
      resourceNames: [appRoleName(controller)],
    },
    // Observing rollouts (one cluster-wide list per poll, ADR 0101): the previous ReplicaSet's template
    // for rollbacks, pod states and events for reasons. Reads only, and never Secrets.
    { apiGroups: ["apps"], resources: ["deployments", "replicasets"], verbs: READ },
    { apiGroups: [""], resources: ["pods", "events"], verbs: READ },
    // Custom domains: one cluster-wide list of their Ingresses and Certificates per resync (docs/adr/0223).
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: READ },
    { apiGroups: ["cert-manager.io"], resources: ["certificates"], verbs: READ },
    // A pending domain's reason: its Certificate's current ACME Order and that Order's Challenges (ADR 0224).
    { apiGroups: ["acme.cert-manager.io"], resources: ["orders", "challenges"], verbs: READ },
    // PostgreSQL add-ons: one cluster-wide list of their StatefulSets (or CNPG Clusters) per resync, and
    // whether the CNPG operator's CRD exists (ADR 0226).
    { apiGroups: ["apps"], resources: ["statefulsets"], verbs: READ },
    { apiGroups: ["postgresql.cnpg.io"], resources: ["clusters"], verbs: READ },
    {
      apiGroups: ["apiextensions.k8s.io"],
      resources: ["customresourcedefinitions"],
      verbs: ["get"],
      resourceNames: ["clusters.postgresql.cnpg.io"],
    },
    // Whether the metrics API is registered: web's autoscaler is applied only then (docs/adr/0207).
    {
      apiGroups: ["apiregistration.k8s.io"],
      resources: ["apiservices"],
      verbs: ["get"],
      resourceNames: ["v1beta1.metrics.k8s.io"],
    },
    // CPU and memory of app pods for the Metrics tab, when the metrics API is there (docs/adr/0208).
    { apiGroups: ["metrics.k8s.io"], resources: ["pods"], verbs: ["list"] },
  ];
}

/** What the deploy controller may do inside an app namespace, through the RoleBinding it applies there. */
export const DEPLOY_CONTROLLER_APP_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [""], resources: ["services", "secrets", "resourcequotas", "limitranges"], verbs: WRITE },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: WRITE },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses", "networkpolicies"], verbs: WRITE },
  // The release phase (a Job and its pod's log), cron entries and web's autoscaler (docs/adr/0205).
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: WRITE },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: WRITE },
  // Custom domains: a Certificate per domain, whose Ready condition becomes the domain's status (docs/adr/0223).
  { apiGroups: ["cert-manager.io"], resources: ["certificates"], verbs: WRITE },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  // PostgreSQL add-ons (ADR 0226): the StatefulSet and its claim (a replaced add-on's stale one is
  // deleted), or the CNPG Cluster when the operator is installed.
  { apiGroups: ["apps"], resources: ["statefulsets"], verbs: WRITE },
  { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: WRITE },
  { apiGroups: ["postgresql.cnpg.io"], resources: ["clusters"], verbs: WRITE },
  // Add-on backups (ADR 0229): Jobs (above) on a backups claim (above), the add-on's size by exec into its
  // pod (`create` for the POST and the WebSocket upgrade, `get` as older API servers check), CNPG backups.
  { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] },
  { apiGroups: ["postgresql.cnpg.io"], resources: ["backups", "scheduledbackups"], verbs: WRITE },
];

const labelsOf = () => ({
  [LABEL_MANAGED_BY]: MANAGED_BY,
  "app.kubernetes.io/component": "deploy-controller",
});

/** ServiceAccount, its ClusterRole and binding, and the app-namespace ClusterRole, in apply order. */
export function renderDeployControllerRbac(
  options: ControllerRbacOptions = DEFAULT_DEPLOY_CONTROLLER_RBAC,
): [V1ServiceAccount, V1ClusterRole, V1ClusterRole, V1ClusterRoleBinding] {
  const labels = labelsOf();
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: options.name, namespace: options.namespace, labels },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: options.name, labels },
      rules: deployControllerClusterRules(options),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: appRoleName(options), labels },
      rules: DEPLOY_CONTROLLER_APP_RULES.map((rule) => ({ ...rule })),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: options.name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: options.name },
      subjects: [{ kind: "ServiceAccount", name: options.name, namespace: options.namespace }],
    },
  ];
}

/** The RoleBinding that gives the deploy controller the app role in one app namespace. */
export function renderAppRoleBinding(
  names: AppNames,
  labels: Record<string, string>,
  controller: ControllerRbacOptions,
): V1RoleBinding {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: controller.name, namespace: names.namespace, labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: appRoleName(controller) },
    subjects: [{ kind: "ServiceAccount", name: controller.name, namespace: controller.namespace }],
  };
}
