import type { V1Container, V1Deployment, V1PodSpec, V1Probe } from "@kubernetes/client-node";
import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import { ANNOTATION_ENV_CHECKSUM, type AppNames, runSelector } from "./names.ts";
import type { ManifestSettings } from "./settings.ts";

const CONTAINER_NAME = "app";
const PORT_NAME = "http";

/**
 * The app's Deployment. Rolling update with no unavailable pod, so a release that never becomes ready
 * leaves the previous ReplicaSet serving until the progress deadline reports the failure.
 */
export function renderDeployment(
  app: ManifestApp,
  release: ManifestRelease,
  names: AppNames,
  labels: Record<string, string>,
  settings: ManifestSettings,
): V1Deployment {
  const annotations: Record<string, string> = {};
  if (release.envChecksum !== undefined) annotations[ANNOTATION_ENV_CHECKSUM] = release.envChecksum;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: names.workload, namespace: names.namespace, labels },
    spec: {
      replicas: release.replicas ?? settings.replicas,
      selector: { matchLabels: runSelector(app) },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      progressDeadlineSeconds: settings.progressDeadlineSeconds,
      revisionHistoryLimit: settings.revisionHistoryLimit,
      template: {
        metadata: { labels, annotations },
        spec: renderPodSpec(app, release, names, settings),
      },
    },
  };
}

function renderPodSpec(
  app: ManifestApp,
  release: ManifestRelease,
  names: AppNames,
  settings: ManifestSettings,
): V1PodSpec {
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
    containers: [renderContainer(app, release, names, settings)],
  };
}

function renderPlacement(settings: ManifestSettings): Pick<V1PodSpec, "nodeSelector" | "tolerations"> {
  const placement = settings.podPlacement;
  return {
    ...(placement?.nodeSelector ? { nodeSelector: { ...placement.nodeSelector } } : {}),
    ...(placement?.tolerations ? { tolerations: placement.tolerations.map((t) => ({ ...t })) } : {}),
  };
}

function renderContainer(
  app: ManifestApp,
  release: ManifestRelease,
  names: AppNames,
  settings: ManifestSettings,
): V1Container {
  const r = settings.resources;
  return {
    name: CONTAINER_NAME,
    image: release.image,
    imagePullPolicy: "IfNotPresent",
    ports: [{ name: PORT_NAME, containerPort: release.port, protocol: "TCP" }],
    env: [
      { name: "PORT", value: String(release.port) },
      { name: "KLI8NT_APP", value: app.name },
      { name: "KLI8NT_DEPLOYMENT", value: release.deploymentId },
    ],
    // Optional: an app without variables has no Secret, and its pods must still start.
    envFrom: [{ secretRef: { name: names.envSecret, optional: true } }],
    resources: {
      requests: { cpu: r.requests.cpu, memory: r.requests.memory },
      limits: { cpu: r.limits.cpu, memory: r.limits.memory },
    },
    readinessProbe: renderProbe(release, { periodSeconds: 5, failureThreshold: 3 }),
    // Liveness waits longer than readiness: a slow start must not turn into a restart loop.
    livenessProbe: renderProbe(release, { initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 6 }),
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
  };
}

function renderProbe(release: ManifestRelease, timing: Omit<V1Probe, "httpGet" | "tcpSocket">): V1Probe {
  const action: V1Probe = release.healthCheck
    ? { httpGet: { path: release.healthCheck.path, port: PORT_NAME } }
    : { tcpSocket: { port: PORT_NAME } };
  return { ...action, timeoutSeconds: 2, ...timing };
}
