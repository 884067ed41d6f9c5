import type { V1LimitRange, V1Namespace, V1NetworkPolicy, V1ResourceQuota } from "@kubernetes/client-node";
import { type AppNames, LABEL_MANAGED_NAMESPACE } from "./names.ts";
import type { ManifestSettings } from "./settings.ts";

type Labels = Record<string, string>;

/** The app's namespace; Pod Security `restricted` is enforced there, not merely warned about. */
export function renderNamespace(names: AppNames, labels: Labels): V1Namespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: names.namespace,
      labels: {
        ...labels,
        // Kli8nt created it: the controllers' admission policy lets them write here (docs/adr/0141).
        [LABEL_MANAGED_NAMESPACE]: "true",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
      },
    },
  };
}

/** Caps what one app can consume, and forbids Services that would bypass the ingress controller. */
export function renderResourceQuota(
  names: AppNames,
  labels: Labels,
  settings: ManifestSettings,
): V1ResourceQuota {
  const q = settings.quota;
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: names.resourceQuota, namespace: names.namespace, labels },
    spec: {
      hard: {
        pods: String(q.pods),
        "requests.cpu": q.requestsCpu,
        "requests.memory": q.requestsMemory,
        "limits.cpu": q.limitsCpu,
        "limits.memory": q.limitsMemory,
        "services.loadbalancers": "0",
        "services.nodeports": "0",
      },
    },
  };
}

/**
 * Defaults for containers that name no resources. The quota above makes requests/limits mandatory,
 * so without this a pod we did not render (e.g. a debug pod) would be rejected outright.
 */
export function renderLimitRange(names: AppNames, labels: Labels, settings: ManifestSettings): V1LimitRange {
  const r = settings.resources;
  return {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: { name: names.limitRange, namespace: names.namespace, labels },
    spec: {
      limits: [
        {
          type: "Container",
          _default: { cpu: r.limits.cpu, memory: r.limits.memory },
          defaultRequest: { cpu: r.requests.cpu, memory: r.requests.memory },
        },
      ],
    },
  };
}

/**
 * Default deny for ingress: every pod of the namespace only accepts traffic from the ingress
 * controller's namespace. Egress stays open: apps call databases and APIs outside the cluster.
 */
export function renderNetworkPolicy(
  names: AppNames,
  labels: Labels,
  settings: ManifestSettings,
): V1NetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: names.networkPolicy, namespace: names.namespace, labels },
    spec: {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          _from: [
            {
              namespaceSelector: {
                matchLabels: { "kubernetes.io/metadata.name": settings.ingressControllerNamespace },
              },
            },
          ],
        },
      ],
    },
  };
}
