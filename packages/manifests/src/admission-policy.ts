import type {
  V1ValidatingAdmissionPolicy,
  V1ValidatingAdmissionPolicyBinding,
} from "@kubernetes/client-node";
import { LABEL_MANAGED_BY, LABEL_MANAGED_NAMESPACE, MANAGED_BY } from "./names.ts";
import { appRoleName, type ControllerRbacOptions } from "./rbac.ts";

export interface AdmissionPolicyOptions {
  /** Name of the policy and its binding. */
  readonly name: string;
  /** Namespace of the controllers' ServiceAccounts. */
  readonly namespace: string;
  readonly deployController: string;
  readonly buildController: string;
  readonly logController: string;
  /** The only namespace the build controller writes in. */
  readonly buildNamespace: string;
  /** Prefix of app namespaces (settings.namespacePrefix). */
  readonly namespacePrefix: string;
}

const quote = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
const sa = (namespace: string, name: string) => quote(`system:serviceaccount:${namespace}:${name}`);
const label = (o: string, key: string, value: string) =>
  `(has(${o}.metadata.labels) && ${quote(key)} in ${o}.metadata.labels && ${o}.metadata.labels[${quote(key)}] == ${quote(value)})`;

/**
 * CEL variables: is this a namespace; is the namespace being written (new / old state) or the one the
 * object lives in one Kli8nt created (the app prefix and the managed label; before the label existed,
 * `app.kubernetes.io/managed-by=kli8nt`, so an upgrade can add the label to existing namespaces).
 */
function variables(prefix: string) {
  const named = (o: string) => `${o} != null && ${o}.metadata.name.startsWith(${quote(prefix)})`;
  const managed = (o: string) => label(o, LABEL_MANAGED_NAMESPACE, "true");
  return [
    {
      name: "isNamespace",
      expression: "request.resource.group == '' && request.resource.resource == 'namespaces'",
    },
    { name: "ownNew", expression: `${named("object")} && ${managed("object")}` },
    {
      name: "ownOld",
      expression: `${named("oldObject")} && (${managed("oldObject")} || ${label("oldObject", LABEL_MANAGED_BY, MANAGED_BY)})`,
    },
    { name: "inOwnNamespace", expression: `${named("namespaceObject")} && ${managed("namespaceObject")}` },
  ];
}

/**
 * A ValidatingAdmissionPolicy and its binding that confine the controllers' writes, whatever RBAC grants:
 * the deploy controller writes only namespaces it created (prefix + `kli8nt.io/managed=true`) and objects
 * inside them, and binds only its own app role to itself there; the build controller writes only in the
 * build namespace; the log controller writes nothing. A leaked controller token cannot create a pod in
 * kube-system or a RoleBinding that grants it more (docs/adr/0141).
 */
export function renderControllerAdmissionPolicy(
  options: AdmissionPolicyOptions,
): [V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyBinding] {
  const deploy = sa(options.namespace, options.deployController);
  const build = sa(options.namespace, options.buildController);
  const log = sa(options.namespace, options.logController);
  const controller: ControllerRbacOptions = { namespace: options.namespace, name: options.deployController };
  const prefix = options.namespacePrefix;
  const namespaceWrite =
    "request.operation == 'CREATE' ? variables.ownNew : request.operation == 'DELETE' ? variables.ownOld : variables.ownOld && variables.ownNew";
  const ownBinding = `request.operation == 'DELETE' || (object.roleRef.kind == 'ClusterRole' && object.roleRef.name == ${quote(
    appRoleName(controller),
  )} && object.subjects.all(s, s.kind == 'ServiceAccount' && s.name == ${quote(
    controller.name,
  )} && s.namespace == ${quote(controller.namespace)}))`;
  const isBinding =
    "request.resource.group == 'rbac.authorization.k8s.io' && request.resource.resource == 'rolebindings'";
  const labels = { [LABEL_MANAGED_BY]: MANAGED_BY };
  return [
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: options.name, labels },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ["*"],
              apiVersions: ["*"],
              resources: ["*/*"],
              operations: ["CREATE", "UPDATE", "DELETE"],
            },
          ],
        },
        matchConditions: [
          {
            name: "is-a-kli8nt-controller",
            expression: `request.userInfo.username in [${deploy}, ${build}, ${log}]`,
          },
        ],
        variables: variables(prefix),
        validations: [
          {
            expression: `request.userInfo.username != ${deploy} || (variables.isNamespace ? (${namespaceWrite}) : variables.inOwnNamespace)`,
            message: `the deploy controller writes only namespaces named ${prefix}* labelled ${LABEL_MANAGED_NAMESPACE}=true, and objects inside them`,
            reason: "Forbidden",
          },
          {
            expression: `request.userInfo.username != ${deploy} || !(${isBinding}) || ${ownBinding}`,
            message: `the deploy controller may only bind ${appRoleName(controller)} to itself`,
            reason: "Forbidden",
          },
          {
            expression: `request.userInfo.username != ${build} || request.namespace == ${quote(options.buildNamespace)}`,
            message: `the build controller writes only in the namespace ${options.buildNamespace}`,
            reason: "Forbidden",
          },
          {
            expression: `request.userInfo.username != ${log}`,
            message: "the log controller writes nothing",
            reason: "Forbidden",
          },
        ],
      },
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: options.name, labels },
      spec: { policyName: options.name, validationActions: ["Deny"] },
    },
  ];
}
