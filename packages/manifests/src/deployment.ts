import type {
  V1Container,
  V1Deployment,
  V1PodSpec,
  V1Probe,
  V1ResourceRequirements,
} from "@kubernetes/client-node";
import type { ManifestApp, ManifestProcess, ManifestRelease } from "./inputs.ts";
import {
  ANNOTATION_ENV_CHECKSUM,
  ANNOTATION_RESTARTED_AT,
  type AppNames,
  processLabels,
  processSelector,
  processWorkload,
} from "./names.ts";
import { postgresAddonNames } from "./postgres-addon.ts";
import { processResources } from "./resources.ts";
import type { ManifestSettings } from "./settings.ts";

const CONTAINER_NAME = "app";
const PORT_NAME = "http";

/** `web` as a release without a formation runs it: `replicas` instances at the platform's default size. */
export function defaultWeb(release: ManifestRelease, settings: ManifestSettings): ManifestProcess {
  return {
    type: "web",
    command: null,
    count: release.replicas ?? settings.replicas,
    memory: settings.resources.limits.memory,
    cpu: settings.resources.requests.cpu,
  };
}

/**
 * The Deployment of one process type (`web` by default). Rolling update with no unavailable pod, so a
 * release that never becomes ready leaves the previous ReplicaSet serving until the progress deadline
 * reports the failure. Only `web` has the port and the probes.
 */
export function renderDeployment(
  app: ManifestApp,
  release: ManifestRelease,
  names: AppNames,
  labels: Record<string, string>,
  settings: ManifestSettings,
  process?: ManifestProcess,
): V1Deployment {
  const p = process ?? defaultWeb(release, settings);
  const annotations: Record<string, string> = {};
  if (release.envChecksum !== undefined) annotations[ANNOTATION_ENV_CHECKSUM] = release.envChecksum;
  // What `kubectl rollout restart` writes: a new template, so the pods roll one by one.
  if (release.restartedAt !== undefined) annotations[ANNOTATION_RESTARTED_AT] = release.restartedAt;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: processWorkload(app, p.type), namespace: names.namespace, labels },
    spec: {
      replicas: p.count,
      selector: { matchLabels: processSelector(app, p.type) },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      progressDeadlineSeconds: settings.progressDeadlineSeconds,
      revisionHistoryLimit: settings.revisionHistoryLimit,
      template: {
        metadata: { labels: processLabels(labels, p.type), annotations },
        spec: renderPodSpec(settings, [renderContainer(app, release, names, settings, p)]),
      },
    },
  };
}

/** The pod of every app workload (processes, release Job, cron runs): Pod Security `restricted`. */
export function renderPodSpec(settings: ManifestSettings, containers: V1Container[]): V1PodSpec {
  return {
    // Apps never talk to the Kubernetes API, and service links would leak other Services into env.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 30,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: settings.runAsUser,
      runAsGroup: settings.runAsUser,
      fsGroup: settings.runAsUser,
      seccompProfile: { type: "RuntimeDefault" },
    },
    ...renderPlacement(settings),
    containers,
  };
}

function renderPlacement(settings: ManifestSettings): Pick<V1PodSpec, "nodeSelector" | "tolerations"> {
  const placement = settings.podPlacement;
  return {
    ...(placement?.nodeSelector ? { nodeSelector: { ...placement.nodeSelector } } : {}),
    ...(placement?.tolerations ? { tolerations: placement.tolerations.map((t) => ({ ...t })) } : {}),
  };
}

/** What only `web` has: the port (also as $PORT) and the probes on it. */
interface WebParts {
  readonly port: number;
  readonly readinessProbe: V1Probe;
  readonly livenessProbe: V1Probe;
}

/**
 * The app's container running `command` (`sh -c`, or the image's CMD when null), with its env Secret and
 * the restricted security context; the port and probes only for `web`.
 */
export function renderAppContainer(
  app: ManifestApp,
  release: Pick<ManifestRelease, "deploymentId" | "image">,
  names: AppNames,
  command: string | null,
  resources: V1ResourceRequirements,
  web?: WebParts,
): V1Container {
  return {
    name: CONTAINER_NAME,
    image: release.image,
    imagePullPolicy: "IfNotPresent",
    ...(command === null ? {} : { command: ["sh", "-c", command] }),
    ...(web ? { ports: [{ name: PORT_NAME, containerPort: web.port, protocol: "TCP" }] } : {}),
    env: [
      ...(web ? [{ name: "PORT", value: String(web.port) }] : []),
      { name: "KLI8NT_APP", value: app.name },
      { name: "KLI8NT_DEPLOYMENT", value: release.deploymentId },
    ],
    // Optional: an app without variables has no Secret, and its pods must still start.
    // The PostgreSQL add-on's DATABASE_URL and PG* come from its own Secret, never from our database
    // (ADR 0226); optional, so apps without the add-on start.
    envFrom: [
      { secretRef: { name: names.envSecret, optional: true } },
      { secretRef: { name: postgresAddonNames(app.name).secret, optional: true } },
    ],
    resources,
    ...(web ? { readinessProbe: web.readinessProbe, livenessProbe: web.livenessProbe } : {}),
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
  };
}

function renderContainer(
  app: ManifestApp,
  release: ManifestRelease,
  names: AppNames,
  settings: ManifestSettings,
  p: ManifestProcess,
): V1Container {
  // A release without a formation keeps the platform's resources as they were.
  const r = settings.resources;
  const resources =
    release.processes === undefined
      ? {
          requests: { cpu: r.requests.cpu, memory: r.requests.memory },
          limits: { cpu: r.limits.cpu, memory: r.limits.memory },
        }
      : processResources(p);
  const web =
    p.type === "web"
      ? {
          port: release.port,
          readinessProbe: renderProbe(release, { periodSeconds: 5, failureThreshold: 3 }),
          // Liveness waits longer than readiness: a slow start must not turn into a restart loop.
          livenessProbe: renderProbe(release, {
            initialDelaySeconds: 30,
            periodSeconds: 10,
            failureThreshold: 6,
          }),
        }
      : undefined;
  return renderAppContainer(app, release, names, p.command, resources, web);
}

function renderProbe(release: ManifestRelease, timing: Omit<V1Probe, "httpGet" | "tcpSocket">): V1Probe {
  const action: V1Probe = release.healthCheck
    ? { httpGet: { path: release.healthCheck.path, port: PORT_NAME } }
    : { tcpSocket: { port: PORT_NAME } };
  return { ...action, timeoutSeconds: 2, ...timing };
}
