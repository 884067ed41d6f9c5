import { execFile } from "node:child_process";
import { chmod, chown, mkdir, writeFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { promisify } from "node:util";
import type {
  V1ConfigMapVolumeSource,
  V1KeyToPath,
  V1PodSpec,
  V1SecretVolumeSource,
  V1Volume,
} from "@kubernetes/client-node";
import { onlyKeys } from "./container-security.ts";
import type { HostPod } from "./podman-run.ts";
import { memoryBytes } from "./quantities.ts";
import { TranslationError } from "./translation-error.ts";

const run = promisify(execFile);

/** Secret data as the API server holds it, by Secret name then key. */
export type SecretData = Readonly<Record<string, Readonly<Record<string, string>>>>;
/** ConfigMap data as the API server holds it, by ConfigMap name then key. */
export type ConfigMapData = SecretData;

export interface MaterialisedPod extends HostPod {
  /** emptyDir volumes with a sizeLimit: the kubelet evicts the pod when one grows past it. */
  readonly sizeLimits: Readonly<Record<string, number>>;
}

const VOLUME_KEYS = new Set(["name", "emptyDir", "secret", "configMap"]);
const EMPTY_DIR_KEYS = new Set(["medium", "sizeLimit"]);
const SECRET_KEYS = new Set(["secretName", "defaultMode", "items", "optional"]);
const CONFIG_MAP_KEYS = new Set(["name", "defaultMode", "items", "optional"]);
const ITEM_KEYS = new Set(["key", "path", "mode"]);

async function emptyDir(volume: V1Volume, path: string, fsGroup: number | undefined): Promise<void> {
  onlyKeys(`volumes[${volume.name}].emptyDir`, volume.emptyDir, EMPTY_DIR_KEYS);
  if (volume.emptyDir?.medium) throw new TranslationError(`emptyDir medium ${volume.emptyDir.medium}`);
  await mkdir(path, { recursive: true });
  // The kubelet makes emptyDirs world-writable; with an fsGroup they belong to it, setgid.
  if (fsGroup === undefined) return chmod(path, 0o777);
  await chown(path, 0, fsGroup);
  await chmod(path, 0o2777);
}

function secretFiles(source: V1SecretVolumeSource, data: Readonly<Record<string, string>>, name?: string) {
  const what = name ?? source.secretName;
  const items: V1KeyToPath[] = source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
  return items.map((item) => {
    onlyKeys(`${name ? "configMap" : "secret"} ${what} items`, item, ITEM_KEYS);
    const value = data[item.key];
    if (value === undefined) throw new TranslationError(`key ${item.key} missing in ${what}`);
    const path = normalize(item.path);
    if (path.startsWith("..") || path.startsWith("/")) throw new TranslationError(`item path ${item.path}`);
    return { path, value, mode: item.mode ?? source.defaultMode ?? 0o644 };
  });
}

async function secretVolume(
  volume: V1Volume,
  path: string,
  secrets: SecretData,
  fsGroup: number | undefined,
): Promise<void> {
  const source = volume.secret ?? {};
  onlyKeys(`volumes[${volume.name}].secret`, source, SECRET_KEYS);
  await writeKeys(path, source, secrets[source.secretName ?? ""], fsGroup, `Secret ${source.secretName}`);
}

/** A ConfigMap volume is laid out like a Secret volume: one file per key (or per item), same modes. */
async function configMapVolume(
  volume: V1Volume,
  path: string,
  configMaps: ConfigMapData,
  fsGroup: number | undefined,
): Promise<void> {
  const source: V1ConfigMapVolumeSource = volume.configMap ?? {};
  onlyKeys(`volumes[${volume.name}].configMap`, source, CONFIG_MAP_KEYS);
  const { name = "", ...rest } = source;
  await writeKeys(path, rest, configMaps[name], fsGroup, `ConfigMap ${name}`, name);
}

async function writeKeys(
  path: string,
  source: V1SecretVolumeSource,
  data: Readonly<Record<string, string>> | undefined,
  fsGroup: number | undefined,
  what: string,
  configMapName?: string,
): Promise<void> {
  await mkdir(path, { recursive: true });
  if (!data) {
    // The kubelet waits for a missing Secret or ConfigMap (the pod stays ContainerCreating) unless optional.
    if (source.optional === true) return;
    throw new TranslationError(`${what} does not exist`);
  }
  for (const file of secretFiles(source, data, configMapName)) {
    const target = join(path, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.value);
    if (fsGroup !== undefined) await chown(target, 0, fsGroup);
    await chmod(target, file.mode);
  }
}

async function keyedVolume(
  volume: V1Volume,
  path: string,
  secrets: SecretData,
  configMaps: ConfigMapData,
  fsGroup: number | undefined,
): Promise<void> {
  if (volume.secret) return secretVolume(volume, path, secrets, fsGroup);
  if (volume.configMap) return configMapVolume(volume, path, configMaps, fsGroup);
  throw new TranslationError(`volume ${volume.name} of no supported kind`);
}

/**
 * Lays a pod's volumes out under `dir` as the kubelet would (emptyDir, Secret and ConfigMap volumes; any
 * other kind is refused) and creates each container's termination message file.
 */
export async function materialisePod(
  pod: V1PodSpec,
  dir: string,
  secrets: SecretData,
  configMaps: ConfigMapData = {},
): Promise<MaterialisedPod> {
  const fsGroup = pod.securityContext?.fsGroup;
  const volumes: Record<string, string> = {};
  const sizeLimits: Record<string, number> = {};
  for (const volume of pod.volumes ?? []) {
    onlyKeys(`volumes[${volume.name}]`, volume, VOLUME_KEYS);
    const path = join(dir, "volumes", volume.name);
    if (volume.emptyDir) {
      await emptyDir(volume, path, fsGroup);
      if (volume.emptyDir.sizeLimit) sizeLimits[volume.name] = memoryBytes(volume.emptyDir.sizeLimit);
    } else await keyedVolume(volume, path, secrets, configMaps, fsGroup);
    volumes[volume.name] = path;
  }
  const terminationMessages: Record<string, string> = {};
  await mkdir(join(dir, "termination"), { recursive: true });
  for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
    const file = join(dir, "termination", container.name);
    await writeFile(file, "");
    await chmod(file, 0o666);
    terminationMessages[container.name] = file;
  }
  return { volumes, terminationMessages, sizeLimits };
}

/** Throws as the kubelet's eviction would when an emptyDir outgrew its sizeLimit. */
export async function checkSizeLimits(pod: MaterialisedPod): Promise<void> {
  for (const [name, limit] of Object.entries(pod.sizeLimits)) {
    const path = pod.volumes[name] ?? "";
    const { stdout } = await run("du", ["-sb", path]);
    const used = Number(stdout.split("\t")[0]);
    if (used > limit) throw new Error(`emptyDir ${name} uses ${used} bytes, over its sizeLimit ${limit}`);
  }
}
