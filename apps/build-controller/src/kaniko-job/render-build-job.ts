import { BUILD_CA_PATH, REGISTRY_SETTINGS_ENV, registryBuildArgs } from "@kli8nt/buildplan";
import type { BuildRequested } from "@kli8nt/core";

import type { V1Job, V1Secret, V1Toleration } from "@kubernetes/client-node";
import {
  type BuildNames,
  KANIKO_CONTAINER,
  LABEL_APP,
  LABEL_APP_ID,
  LABEL_DEPLOYMENT,
  LABEL_MANAGED_BY,
  LABEL_OWNER,
  LABEL_PHASE,
  labelValue,
  PREPARE_CONTAINER,
} from "./build-names.ts";
import type { KanikoJobConfig } from "./config.ts";

/** The fields of a build the Job is rendered from. */
export type JobBuild = Pick<BuildRequested, "deploymentId" | "appId" | "appName" | "repository">;

/** Where the init container finds the clone token: a file from the per-build Secret, never argv or env. */
export const TOKEN_DIR = "/var/run/kli8nt/git";
/** Where the prepare step has the build CA for its clone; Kaniko has it at BUILD_CA_PATH, for RUN steps. */
export const CLONE_CA_PATH = "/var/run/kli8nt/clone-ca.crt";
/**
 * Where Kaniko itself has the build CA, for its pulls and pushes: a directory Go's TLS reads through
 * SSL_CERT_DIR, after the executor image's own (its Dockerfile sets SSL_CERT_DIR=/kaniko/ssl/certs).
 * Kaniko leaves /kaniko out of every snapshot.
 */
export const KANIKO_CA_DIR = "/kaniko/build-ca";
const KANIKO_IMAGE_CERT_DIR = "/kaniko/ssl/certs";
export const WORKSPACE = "/workspace";
/** The entry point of the prepare step inside the kli8nt image: its bundle (ADR 0115, 0117). */
export const PREPARE_COMMAND = ["node", "/app/dist/build-prepare.mjs"];

export type JobSettings = Pick<
  KanikoJobConfig,
  | "namespace"
  | "registrySecret"
  | "registryInsecure"
  | "kanikoImage"
  | "prepareImage"
  | "resources"
  | "timeoutSeconds"
  | "ttlSecondsAfterFinished"
  | "nodeSelector"
  | "baseImages"
  | "podAnnotations"
> &
  Partial<Pick<KanikoJobConfig, "packageRegistries" | "caConfigMap" | "runtimeClassName">> & {
    readonly tolerations: readonly V1Toleration[];
    /** Kaniko reads a per-build token from the per-build Secret instead of `registrySecret`. */
    readonly perBuildRegistryToken?: boolean;
  };

export function buildLabels(message: JobBuild, owner: string): Record<string, string> {
  return {
    [LABEL_APP]: message.appName,
    [LABEL_APP_ID]: labelValue(message.appId),
    [LABEL_DEPLOYMENT]: labelValue(message.deploymentId),
    [LABEL_PHASE]: "build",
    [LABEL_OWNER]: labelValue(owner),
    [LABEL_MANAGED_BY]: "kli8nt",
  };
}

/** Key of the per-build Secret holding Kaniko's Docker config with the per-build registry token. */
export const REGISTRY_CONFIG_KEY = "registry-config.json";

/**
 * The per-build Secret: the clone token (empty for public repositories) and, with per-build registry
 * tokens, Kaniko's Docker config (docs/adr/0140). Each key is mounted into one container only.
 */
export function renderTokenSecret(
  names: BuildNames,
  labels: Record<string, string>,
  settings: JobSettings,
  token: string | null,
  registryConfig?: string,
): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: names.secret, namespace: settings.namespace, labels },
    type: "Opaque",
    stringData: { token: token ?? "", ...(registryConfig ? { [REGISTRY_CONFIG_KEY]: registryConfig } : {}) },
  };
}

/** Kaniko's Docker config: the per-build Secret's token config, else the shared push Secret, else none. */
function registryVolume(names: BuildNames, settings: JobSettings) {
  if (settings.perBuildRegistryToken) {
    return [
      {
        name: "registry",
        secret: { secretName: names.secret, items: [{ key: REGISTRY_CONFIG_KEY, path: "config.json" }] },
      },
    ];
  }
  if (!settings.registrySecret) return [];
  return [
    {
      name: "registry",
      secret: {
        secretName: settings.registrySecret,
        items: [{ key: ".dockerconfigjson", path: "config.json" }],
      },
    },
  ];
}

function kanikoArgs(names: BuildNames, settings: JobSettings): string[] {
  return [
    `--context=dir://${WORKSPACE}/context`,
    `--dockerfile=${WORKSPACE}/Dockerfile`,
    `--destination=${names.tag}`,
    "--cache=true",
    `--cache-repo=${names.cacheRepository}`,
    // The pushed reference with its digest becomes the container's termination message: the only channel
    // from the build back to the controller, and what DeployRequested carries.
    "--image-name-with-digest-file=/dev/termination-log",
    // Kaniko colours its log by default; these lines are stored as the build log and their tail becomes
    // the failure reason the user reads (FallbackToLogsOnError), so no ANSI escapes.
    "--log-format=text",
    ...(settings.registryInsecure ? insecureRegistryArgs(names.repository) : []),
    ...buildArgs(settings),
  ];
}

/**
 * The registries and CA path as build arguments too, as the local builder passes them: a rendered
 * Dockerfile already has them as ARG defaults, and a repository's own Dockerfile gets them for the ARGs
 * it declares (an undeclared one is ignored by Kaniko, as by buildah).
 */
function buildArgs(settings: JobSettings): string[] {
  const args = registryBuildArgs({
    ...settings.packageRegistries,
    ...(settings.caConfigMap ? { caFile: BUILD_CA_PATH } : {}),
  });
  return Object.entries(args).map(([name, value]) => `--build-arg=${name}=${value}`);
}

/**
 * A registry without (trusted) TLS is named to Kaniko per host: `--insecure-registry` and
 * `--skip-tls-verify-registry` cover pushing the image, reading and writing the cache repo, and pulling
 * base images mirrored into the same registry. (`--insecure`/`--skip-tls-verify` cover pushes only, so a
 * FROM line naming that registry would still be fetched over verified HTTPS and fail.)
 */
function insecureRegistryArgs(repository: string): string[] {
  const host = repository.slice(0, repository.indexOf("/"));
  return [`--insecure-registry=${host}`, `--skip-tls-verify-registry=${host}`];
}

function prepareEnv(message: JobBuild, settings: JobSettings) {
  return [
    { name: "KLI8NT_REPO_URL", value: message.repository.url },
    { name: "KLI8NT_REPO_REF", value: message.repository.ref },
    { name: "KLI8NT_REPO_COMMIT", value: message.repository.commitSha ?? "" },
    { name: "KLI8NT_ROOT_DIR", value: message.repository.rootDir },
    { name: "KLI8NT_BASE_IMAGES", value: JSON.stringify(settings.baseImages) },
    { name: "KLI8NT_GIT_TOKEN_FILE", value: `${TOKEN_DIR}/token` },
    { name: "KLI8NT_WORKSPACE", value: WORKSPACE },
    // Rendered into the Dockerfile's ARG defaults (the values the local builder passes as --build-arg).
    ...registryEnv(settings),
    // Trusted by the clone itself (ADR 0125).
    ...(settings.caConfigMap ? [{ name: "KLI8NT_CLONE_CA_FILE", value: CLONE_CA_PATH }] : []),
  ];
}

function registryEnv(settings: JobSettings) {
  const registries: Readonly<Record<string, string | undefined>> = settings.packageRegistries ?? {};
  return [
    ...Object.entries(REGISTRY_SETTINGS_ENV).flatMap(([key, name]) => {
      const value = registries[key];
      return value ? [{ name, value }] : [];
    }),
    ...(settings.caConfigMap ? [{ name: "KLI8NT_BUILD_CA_PATH", value: BUILD_CA_PATH }] : []),
  ];
}

/**
 * The capabilities Kaniko keeps of the runtime's default set; everything else is dropped. Kaniko runs as
 * root and unpacks base images and runs RUN steps in its own root filesystem, so it must: own and chown
 * files of any user (CHOWN, DAC_OVERRIDE, FOWNER), keep setuid/setgid bits and file capabilities on the
 * files it extracts (FSETID, SETFCAP), and let RUN steps switch users (SETUID, SETGID: `USER`, apt's
 * `_apt` sandbox). Dropped: NET_RAW (no raw sockets or ARP spoofing from a build), MKNOD, SYS_CHROOT,
 * KILL, NET_BIND_SERVICE, SETPCAP, AUDIT_WRITE (docs/adr/0140).
 */
export const KANIKO_CAPABILITIES = [
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "SETFCAP",
  "SETGID",
  "SETUID",
];

const limits = (settings: JobSettings) => ({
  requests: { cpu: "250m", memory: "512Mi" },
  limits: { cpu: settings.resources.cpu, memory: settings.resources.memory },
});

/**
 * The build Job: `prepare` (clone with the token file, detect, render Dockerfile + .dockerignore) then
 * Kaniko (build, push by digest). One attempt (backoffLimit 0): a failed build is reported, not retried.
 */
export function renderBuildJob(
  message: JobBuild,
  names: BuildNames,
  labels: Record<string, string>,
  settings: JobSettings,
): V1Job {
  const registry = registryVolume(names, settings);
  const registryMount =
    registry.length > 0 ? [{ name: "registry", mountPath: "/kaniko/.docker", readOnly: true }] : [];
  // The CA bundle at the neutral path RUN steps are told about (not over the base image's own bundle,
  // which would break `apt-get install ca-certificates`). Kaniko leaves mount points out of its
  // snapshots, so the file never reaches the image. The prepare step has it at a path of its own for its
  // clone (ADR 0125): BUILD_CA_PATH in its environment names where RUN steps find it, not where it is.
  const caMount = (path: string) =>
    settings.caConfigMap
      ? [{ name: "build-ca", mountPath: path, subPath: settings.caConfigMap.key, readOnly: true }]
      : [];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: names.job, namespace: settings.namespace, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: settings.timeoutSeconds,
      ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
      template: {
        metadata: { labels, annotations: { ...settings.podAnnotations } },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // The token file is group-readable by the non-root prepare step only through this group.
          securityContext: { fsGroup: 1000 },
          nodeSelector: { ...settings.nodeSelector },
          // gVisor or Kata: untrusted RUN steps then meet a user-space or VM kernel, not the node's.
          ...(settings.runtimeClassName ? { runtimeClassName: settings.runtimeClassName } : {}),
          tolerations: settings.tolerations.map((t) => ({ ...t })),
          initContainers: [
            {
              name: PREPARE_CONTAINER,
              image: settings.prepareImage,
              command: PREPARE_COMMAND,
              env: prepareEnv(message, settings),
              resources: limits(settings),
              terminationMessagePolicy: "FallbackToLogsOnError",
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 1000,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
              },
              volumeMounts: [
                { name: "workspace", mountPath: WORKSPACE },
                { name: "git-token", mountPath: TOKEN_DIR, readOnly: true },
                ...caMount(CLONE_CA_PATH),
              ],
            },
          ],
          containers: [
            {
              name: KANIKO_CONTAINER,
              image: settings.kanikoImage,
              args: kanikoArgs(names, settings),
              env: [
                { name: "DOCKER_CONFIG", value: "/kaniko/.docker" },
                ...(settings.caConfigMap
                  ? [{ name: "SSL_CERT_DIR", value: `${KANIKO_IMAGE_CERT_DIR}:${KANIKO_CA_DIR}` }]
                  : []),
              ],
              resources: limits(settings),
              terminationMessagePolicy: "FallbackToLogsOnError",
              // Root (Kaniko needs it) with the smallest set of capabilities it works with, the runtime's
              // seccomp profile, and no_new_privs: a setuid binary in a RUN step gains nothing.
              securityContext: {
                runAsUser: 0,
                allowPrivilegeEscalation: false,
                privileged: false,
                capabilities: { drop: ["ALL"], add: [...KANIKO_CAPABILITIES] },
                seccompProfile: { type: "RuntimeDefault" },
              },
              volumeMounts: [
                { name: "workspace", mountPath: WORKSPACE },
                ...registryMount,
                ...caMount(BUILD_CA_PATH),
                ...caMount(`${KANIKO_CA_DIR}/ca.crt`),
              ],
            },
          ],
          volumes: [
            { name: "workspace", emptyDir: { sizeLimit: "10Gi" } },
            // Only the clone token: the registry config in the same Secret is Kaniko's alone.
            {
              name: "git-token",
              secret: {
                secretName: names.secret,
                defaultMode: 0o440,
                items: [{ key: "token", path: "token" }],
              },
            },
            ...registry,
            ...(settings.caConfigMap
              ? [{ name: "build-ca", configMap: { name: settings.caConfigMap.name, defaultMode: 0o444 } }]
              : []),
          ],
        },
      },
    },
  };
}
