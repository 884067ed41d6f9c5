import type { V1Container, V1EnvVar, V1PodSpec, V1VolumeMount } from "@kubernetes/client-node";
import { resourceFlags } from "./container-resources.ts";
import { onlyKeys, securityFlags } from "./container-security.ts";
import { TranslationError } from "./translation-error.ts";

/** Where a pod's volumes and kubelet-made files are on this host (made by `materialisePod`). */
export interface HostPod {
  /** Host path of every volume of the pod spec, by volume name. */
  readonly volumes: Readonly<Record<string, string>>;
  /** Host file behind each container's terminationMessagePath, by container name. */
  readonly terminationMessages: Readonly<Record<string, string>>;
}

/** What the cluster gives a pod outside its spec. */
export interface PodEnvironment {
  /** The pod's name, which the kubelet makes the container's hostname. */
  readonly podName: string;
  /** podman's `--network`: the cluster network the pod is attached to (e.g. "host"). */
  readonly network: string;
  /** Cluster DNS stand-in: names the pod resolves (a registry Service…) → addresses. */
  readonly hosts?: Readonly<Record<string, string>>;
}

export interface PodmanRun {
  /** Arguments after `podman run`, the image and its arguments included. */
  readonly argv: readonly string[];
  readonly terminationMessageFile: string;
  readonly terminationMessagePolicy: "File" | "FallbackToLogsOnError";
}

// Fields with an effect on a single container that the translation reproduces; anything else is refused.
const POD_KEYS = new Set([
  "containers",
  "initContainers",
  "volumes",
  "restartPolicy",
  "automountServiceAccountToken",
  "enableServiceLinks",
  "securityContext",
  // Scheduling only: where the pod runs, not how.
  "nodeSelector",
  "tolerations",
]);
const CONTAINER_KEYS = new Set([
  "name",
  "image",
  "imagePullPolicy",
  "command",
  "args",
  "workingDir",
  "env",
  "resources",
  "volumeMounts",
  "securityContext",
  "terminationMessagePath",
  "terminationMessagePolicy",
]);
const MOUNT_KEYS = new Set(["name", "mountPath", "readOnly", "subPath"]);
const ENV_KEYS = new Set(["name", "value"]);

/** Refuses pod-level settings that would change the container without a podman equivalent. */
export function checkPod(pod: V1PodSpec): void {
  onlyKeys("pod", pod, POD_KEYS);
  if (pod.restartPolicy !== "Never") throw new TranslationError(`restartPolicy ${pod.restartPolicy}`);
  // Left on, the kubelet would mount a ServiceAccount token and inject service variables.
  if (pod.automountServiceAccountToken !== false) {
    throw new TranslationError("automountServiceAccountToken not false");
  }
  if (pod.enableServiceLinks !== false) throw new TranslationError("enableServiceLinks not false");
}

export function findContainer(pod: V1PodSpec, name: string): V1Container {
  const all = [...(pod.initContainers ?? []), ...pod.containers];
  const container = all.find((c) => c.name === name);
  if (!container) throw new TranslationError(`no container named ${name}`);
  return container;
}

/** Kubernetes expands $(VAR) in command, args and env values; podman would pass it through verbatim. */
function noExpansion(where: string, values: readonly string[] | undefined): void {
  for (const value of values ?? []) {
    if (/\$\([A-Za-z_][A-Za-z0-9_]*\)/.test(value))
      throw new TranslationError(`$(VAR) expansion in ${where}`);
  }
}

/** The kubelet's pull policy default: Always for `:latest` or no tag, IfNotPresent otherwise. */
function pullFlag(container: V1Container): string {
  const image = container.image ?? "";
  const tagged = image.includes("@") || /:[^/]+$/.test(image);
  const policy =
    container.imagePullPolicy ?? (tagged && !image.endsWith(":latest") ? "IfNotPresent" : "Always");
  const flags: Record<string, string> = { Always: "always", IfNotPresent: "missing", Never: "never" };
  const flag = flags[policy];
  if (!flag) throw new TranslationError(`imagePullPolicy ${policy}`);
  return `--pull=${flag}`;
}

export function envFlags(env: readonly V1EnvVar[] | undefined): string[] {
  return (env ?? []).map((variable) => {
    onlyKeys(`env[${variable.name}]`, variable, ENV_KEYS);
    noExpansion(`env ${variable.name}`, [variable.value ?? ""]);
    return `--env=${variable.name}=${variable.value ?? ""}`;
  });
}

function mountFlags(pod: V1PodSpec, mounts: readonly V1VolumeMount[] | undefined, host: HostPod): string[] {
  return (mounts ?? []).map((mount) => {
    onlyKeys(`volumeMounts[${mount.name}]`, mount, MOUNT_KEYS);
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    const source = host.volumes[mount.name];
    if (!volume || source === undefined) throw new TranslationError(`volume ${mount.name} not in the pod`);
    // The kubelet mounts Secret and ConfigMap volumes read-only whatever the mount says.
    const readOnly = mount.readOnly === true || volume.secret !== undefined || volume.configMap !== undefined;
    return `--volume=${mountSource(source, mount)}:${mount.mountPath}:${readOnly ? "ro" : "rw"}`;
  });
}

/** A `subPath` mounts one entry of the volume (a file or a directory) instead of the whole volume. */
export function mountSource(source: string, mount: V1VolumeMount): string {
  if (mount.subPath === undefined || mount.subPath === "") return source;
  const parts = mount.subPath.split("/");
  if (mount.subPath.startsWith("/") || parts.includes("..")) {
    throw new TranslationError(`subPath ${mount.subPath} leaves its volume`);
  }
  noExpansion(`subPath of ${mount.name}`, [mount.subPath]);
  return `${source}/${mount.subPath}`;
}

function terminationMessage(container: V1Container, host: HostPod) {
  const policy = container.terminationMessagePolicy ?? "File";
  if (policy !== "File" && policy !== "FallbackToLogsOnError") {
    throw new TranslationError(`terminationMessagePolicy ${policy}`);
  }
  const file = host.terminationMessages[container.name];
  if (file === undefined) throw new TranslationError(`no termination message file for ${container.name}`);
  const path = container.terminationMessagePath ?? "/dev/termination-log";
  return { policy, file, flag: `--volume=${file}:${path}:rw` } as const;
}

/** command replaces the image's ENTRYPOINT (and drops its CMD), args replace CMD: Kubernetes' rules. */
function entrypoint(container: V1Container): { flags: string[]; args: string[] } {
  noExpansion("command", container.command);
  noExpansion("args", container.args);
  const args = container.args ?? [];
  if (container.command === undefined) return { flags: [], args };
  if (container.command.length === 0) throw new TranslationError("an empty command");
  return { flags: [`--entrypoint=${JSON.stringify(container.command)}`], args };
}

/**
 * `podman run` arguments for one container of a pod spec, exactly as the kubelet would run it on the
 * given network: image and pull policy, entrypoint, env, mounts, security context and cgroup limits.
 * Anything in the spec this cannot reproduce throws a TranslationError instead of being dropped.
 */
export function podmanRun(
  pod: V1PodSpec,
  containerName: string,
  host: HostPod,
  environment: PodEnvironment,
): PodmanRun {
  checkPod(pod);
  const container = findContainer(pod, containerName);
  onlyKeys(`container ${container.name}`, container, CONTAINER_KEYS);
  if (!container.image) throw new TranslationError(`container ${container.name} without an image`);
  const message = terminationMessage(container, host);
  const { flags, args } = entrypoint(container);
  const argv = [
    `--hostname=${environment.podName}`,
    `--network=${environment.network}`,
    ...Object.entries(environment.hosts ?? {}).map(([name, address]) => `--add-host=${name}:${address}`),
    pullFlag(container),
    ...flags,
    ...(container.workingDir ? [`--workdir=${container.workingDir}`] : []),
    ...envFlags(container.env),
    ...mountFlags(pod, container.volumeMounts, host),
    message.flag,
    ...securityFlags(pod.securityContext, container.securityContext),
    ...resourceFlags(container.resources),
    container.image,
    ...args,
  ];
  return { argv, terminationMessageFile: message.file, terminationMessagePolicy: message.policy };
}
