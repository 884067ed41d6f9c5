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
  V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import { renderAutoscaler } from "./autoscaler.ts";
import { defaultWeb, renderDeployment } from "./deployment.ts";
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
import { formationQuota } from "./resources.ts";
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
  /** `web`'s Deployment, Service and Ingress: rendered always, applied only when `web` is true. */
  readonly deployment: V1Deployment;
  readonly service: V1Service;
  readonly ingress: V1Ingress;
  /** False for a release without a `web` process (a worker-only app): no Deployment, Service, Ingress. */
  readonly web: boolean;
  /** The Deployment of every other process type, by type name. */
  readonly processes: readonly V1Deployment[];
  /** `web`'s autoscaler, when the formation asks for one. */
  readonly autoscaler?: V2HorizontalPodAutoscaler;
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
  const processes = release.processes ?? [defaultWeb(release, settings)];
  const web = processes.find((p) => p.type === "web");
  const quota =
    release.processes === undefined ? settings.quota : formationQuota(processes, release, settings.quota);
  const deployment = renderDeployment(
    app,
    release,
    names,
    labels,
    settings,
    web ?? defaultWeb(release, settings),
  );
  // A stopped web (count 0) has no autoscaler: an HPA never scales to zero and would start it again.
  const autoscale = web && web.count > 0 ? release.autoscale : undefined;
  // Under an autoscaler, replicas are the HPA's: an apply that named them would undo its scaling.
  if (autoscale && deployment.spec) delete deployment.spec.replicas;
  return {
    names,
    namespace: renderNamespace(names, labels),
    ...(settings.controller ? { roleBinding: renderAppRoleBinding(names, labels, settings.controller) } : {}),
    resourceQuota: renderResourceQuota(names, labels, { ...settings, quota }),
    limitRange: renderLimitRange(names, labels, settings),
    networkPolicy: renderNetworkPolicy(names, labels, settings),
    egressPolicy: renderEgressPolicy(names, labels, settings),
    deployment,
    service: renderService(app, names, labels),
    ingress: renderIngress(names, labels, settings),
    web: web !== undefined,
    processes: processes
      .filter((p) => p.type !== "web")
      .map((p) => renderDeployment(app, release, names, labels, settings, p)),
    ...(autoscale ? { autoscaler: renderAutoscaler(app, names, labels, autoscale) } : {}),
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
    ...(manifests.web ? [manifests.deployment, manifests.service, manifests.ingress] : []),
    ...manifests.processes,
    ...(manifests.autoscaler ? [manifests.autoscaler] : []),
  ];
}
