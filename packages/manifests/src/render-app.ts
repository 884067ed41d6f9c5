import type {
  KubernetesObject,
  V1Deployment,
  V1Ingress,
  V1LimitRange,
  V1Namespace,
  V1NetworkPolicy,
  V1ResourceQuota,
  V1RoleBinding,
  V1Service,
} from "@kubernetes/client-node";
import { renderDeployment } from "./deployment.ts";
import { renderEgressPolicy } from "./egress-policy.ts";
import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import { type AppNames, appNames, releaseLabels } from "./names.ts";
import {
  renderLimitRange,
  renderNamespace,
  renderNetworkPolicy,
  renderResourceQuota,
} from "./namespace-objects.ts";
import { renderAppRoleBinding } from "./rbac.ts";
import { renderIngress, renderService } from "./service-ingress.ts";
import type { ManifestSettings } from "./settings.ts";
import { validateInputs } from "./validate-inputs.ts";

/** Everything one release of one app needs in the cluster. */
export interface AppManifests {
  readonly names: AppNames;
  readonly namespace: V1Namespace;
  /** The deploy controller's grant in this namespace; absent without `settings.controller`. */
  readonly roleBinding?: V1RoleBinding;
  readonly resourceQuota: V1ResourceQuota;
  readonly limitRange: V1LimitRange;
  readonly networkPolicy: V1NetworkPolicy;
  readonly egressPolicy: V1NetworkPolicy;
  readonly deployment: V1Deployment;
  readonly service: V1Service;
  readonly ingress: V1Ingress;
}

/**
 * Renders the desired state of an app at a release. Pure and deterministic: the same inputs give
 * deep-equal objects, so re-applying them with server-side apply is a no-op.
 * Throws InputError `MANIFEST_INPUT_INVALID` listing every bad input.
 */
export function renderApp(
  app: ManifestApp,
  release: ManifestRelease,
  settings: ManifestSettings,
): AppManifests {
  validateInputs(app, release, settings);
  const names = appNames(app, settings);
  const labels = releaseLabels(app, release);
  return {
    names,
    namespace: renderNamespace(names, labels),
    ...(settings.controller ? { roleBinding: renderAppRoleBinding(names, labels, settings.controller) } : {}),
    resourceQuota: renderResourceQuota(names, labels, settings),
    limitRange: renderLimitRange(names, labels, settings),
    networkPolicy: renderNetworkPolicy(names, labels, settings),
    egressPolicy: renderEgressPolicy(names, labels, settings),
    deployment: renderDeployment(app, release, names, labels, settings),
    service: renderService(app, names, labels),
    ingress: renderIngress(names, labels, settings),
  };
}

/**
 * The objects in the order to apply them: the namespace first, the controller's grant in it, then the guard rails (quota, limits,
 * network policies) so no pod ever runs without them, then the workload and its routing.
 */
export function applyOrder(manifests: AppManifests): KubernetesObject[] {
  return [
    manifests.namespace,
    ...(manifests.roleBinding ? [manifests.roleBinding] : []),
    manifests.resourceQuota,
    manifests.limitRange,
    manifests.networkPolicy,
    manifests.egressPolicy,
    manifests.deployment,
    manifests.service,
    manifests.ingress,
  ];
}
