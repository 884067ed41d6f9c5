import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import type { ManifestSettings } from "./settings.ts";

export const LABEL_APP = "kli8nt.io/app";
export const LABEL_DEPLOYMENT = "kli8nt.io/deployment";
export const LABEL_PHASE = "kli8nt.io/phase";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const ANNOTATION_ENV_CHECKSUM = "kli8nt.io/env-checksum";
export const MANAGED_BY = "kli8nt";
/**
 * On every namespace Kli8nt created (app namespaces): the admission policy lets the controllers write
 * only in namespaces that carry it (docs/adr/0141).
 */
export const LABEL_MANAGED_NAMESPACE = "kli8nt.io/managed";

/** Field manager for server-side apply, per controller (`kli8nt-deploy-controller`, …). */
export const FIELD_MANAGER_PREFIX = "kli8nt-";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** RFC 1123 label as Kubernetes checks it: namespaces, Services and container names. */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** RFC 1123 subdomain as Kubernetes checks it: most other object names, and hosts. */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** Names of everything one app owns; pure functions of the app name so re-applies hit the same objects. */
export interface AppNames {
  readonly namespace: string;
  /** Deployment, Service and Ingress share the app's name: one app per namespace. */
  readonly workload: string;
  readonly envSecret: string;
  readonly tlsSecret: string;
  readonly host: string;
  readonly resourceQuota: string;
  readonly limitRange: string;
  readonly networkPolicy: string;
  readonly egressPolicy: string;
}

export function appNames(app: ManifestApp, settings: ManifestSettings): AppNames {
  return {
    namespace: `${settings.namespacePrefix}${app.name}`,
    workload: app.name,
    envSecret: `${app.name}-env`,
    tlsSecret: `${app.name}-tls`,
    host: `${app.name}.${settings.appsDomain}`,
    resourceQuota: "kli8nt-quota",
    limitRange: "kli8nt-limits",
    networkPolicy: "kli8nt-default-deny",
    egressPolicy: "kli8nt-default-egress",
  };
}

/** Labels on every object of a release; `phase` is `run` here, `build` on build Jobs. */
export function releaseLabels(
  app: ManifestApp,
  release: Pick<ManifestRelease, "deploymentId">,
): Record<string, string> {
  return {
    [LABEL_APP]: app.name,
    [LABEL_DEPLOYMENT]: release.deploymentId,
    [LABEL_PHASE]: "run",
    [LABEL_MANAGED_BY]: MANAGED_BY,
  };
}

/** The pod selector: stable across releases (a Deployment's selector is immutable). */
export function runSelector(app: ManifestApp): Record<string, string> {
  return { [LABEL_APP]: app.name, [LABEL_PHASE]: "run" };
}
