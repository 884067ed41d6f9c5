import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1PolicyRule,
  V1ServiceAccount,
} from "@kubernetes/client-node";
import { LABEL_MANAGED_BY, MANAGED_BY } from "./names.ts";

export interface ControllerRbacOptions {
  /** Namespace the platform's own pods run in. */
  readonly namespace: string;
  readonly name: string;
}

export const DEFAULT_DEPLOY_CONTROLLER_RBAC: ControllerRbacOptions = {
  namespace: "kli8nt",
  name: "kli8nt-deploy-controller",
};

/** Server-side apply is a PATCH; `update` is deliberately absent. */
const WRITE = ["get", "list", "watch", "create", "patch", "delete"];
const READ = ["get", "list", "watch"];

/**
 * What the deploy controller may do, and nothing more. A ClusterRole because app namespaces are created
 * on demand (a Role cannot be granted in a namespace that does not exist yet).
 */
export const DEPLOY_CONTROLLER_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [""], resources: ["namespaces"], verbs: WRITE },
  { apiGroups: [""], resources: ["services", "secrets", "resourcequotas", "limitranges"], verbs: WRITE },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: WRITE },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses", "networkpolicies"], verbs: WRITE },
  // Observing a rollout: the previous ReplicaSet's template for rollbacks, pod states and events for reasons.
  { apiGroups: ["apps"], resources: ["replicasets"], verbs: READ },
  { apiGroups: [""], resources: ["pods", "events"], verbs: READ },
];

/** ServiceAccount, ClusterRole and ClusterRoleBinding for the deploy controller, in apply order. */
export function renderDeployControllerRbac(
  options: ControllerRbacOptions = DEFAULT_DEPLOY_CONTROLLER_RBAC,
): [V1ServiceAccount, V1ClusterRole, V1ClusterRoleBinding] {
  const labels = { [LABEL_MANAGED_BY]: MANAGED_BY, "app.kubernetes.io/component": "deploy-controller" };
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
      rules: DEPLOY_CONTROLLER_RULES.map((rule) => ({ ...rule })),
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
