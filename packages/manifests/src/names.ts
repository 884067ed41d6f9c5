import { appNamespace } from "./app-namespace.ts";
import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import type { ManifestSettings } from "./settings.ts";

export const LABEL_APP = "kli8nt.io/app";
export const LABEL_DEPLOYMENT = "kli8nt.io/deployment";
export const LABEL_PHASE = "kli8nt.io/phase";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const ANNOTATION_ENV_CHECKSUM = "kli8nt.io/env-checksum";
/** The process type of a pod (`worker`, …); `web` pods go without it, as before process types. */
export const LABEL_PROCESS = "kli8nt.io/process";
/** The annotation `kubectl rollout restart` sets on a pod template. */
export const ANNOTATION_RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
/** `kli8nt.io/phase` of pods that are not `web`: never selected by the app's Service. */
export const PHASE_PROCESS = "process";
export const PHASE_RELEASE = "release";
export const PHASE_CRON = "cron";
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
    namespace: appNamespace(settings.namespacePrefix, app.name),
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

/** The Deployment of a process type: the app's name for `web`, `<app>-<type>` for the others. */
export function processWorkload(app: ManifestApp, type: string): string {
  return type === "web" ? app.name : `${app.name}-${type}`;
}

/**
 * The pod selector of a process type. `web` keeps `runSelector` (a Deployment's selector is immutable, and
 * the Service selects it); the others differ in phase, so the Service never routes to them.
 */
export function processSelector(app: ManifestApp, type: string): Record<string, string> {
  if (type === "web") return runSelector(app);
  return { [LABEL_APP]: app.name, [LABEL_PHASE]: PHASE_PROCESS, [LABEL_PROCESS]: type };
}

/** The pod labels of a process type: the release's labels with the type's selector. */
export function processLabels(labels: Record<string, string>, type: string): Record<string, string> {
  if (type === "web") return labels;
  return { ...labels, [LABEL_PHASE]: PHASE_PROCESS, [LABEL_PROCESS]: type };
}

/**
 * `<prefix>-<suffix>` within `max` characters (Kubernetes' 63 for labels, 52 for CronJobs): the prefix (the
 * app name) is cut, never the suffix that tells objects apart.
 */
export function boundedName(prefix: string, suffix: string, max = 63): string {
  const room = max - suffix.length - 1;
  const head = prefix.slice(0, Math.max(room, 1)).replace(/-+$/, "");
  return `${head}-${suffix}`;
}

/** The release Job of a deployment: `<app>-release-<deployment id>` (lower case, `_` as `-`, ≤ 63). */
export function releaseJobName(app: ManifestApp, deploymentId: string): string {
  const id = deploymentId
    .toLowerCase()
    .replaceAll("_", "-")
    .replace(/[^a-z0-9-]/g, "");
  return boundedName(app.name, `release-${id}`.slice(0, 50).replace(/-+$/, ""));
}

/** The CronJob of a cron entry: `<app>-cron-<name>`, within the 52 characters a CronJob name may have. */
export function cronJobName(app: ManifestApp, name: string): string {
  return boundedName(app.name, `cron-${name}`.slice(0, 40).replace(/-+$/, ""), 52);
}
