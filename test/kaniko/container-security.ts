import type { V1PodSecurityContext, V1SecurityContext } from "@kubernetes/client-node";
import { TranslationError } from "./translation-error.ts";

/**
 * The capabilities a Kubernetes container gets by default (containerd's and CRI-O's runtime default).
 * podman's own default set is smaller (no MKNOD, NET_RAW, AUDIT_WRITE), so the translation states the
 * Kubernetes set explicitly instead of relying on podman's.
 */
export const KUBERNETES_DEFAULT_CAPABILITIES = [
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "NET_RAW",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
] as const;

const CONTAINER_KEYS = new Set([
  "runAsUser",
  "runAsGroup",
  "runAsNonRoot",
  "allowPrivilegeEscalation",
  "capabilities",
  "readOnlyRootFilesystem",
  "privileged",
  "seccompProfile",
]);
const POD_KEYS = new Set(["fsGroup", "runAsUser", "runAsGroup", "runAsNonRoot", "supplementalGroups"]);

/** Throws on any key of `object` (with a value) outside `allowed`. */
export function onlyKeys(where: string, object: object | undefined, allowed: ReadonlySet<string>): void {
  for (const [key, value] of Object.entries(object ?? {})) {
    if (value !== undefined && !allowed.has(key)) throw new TranslationError(`${where}.${key}`);
  }
}

const capName = (cap: string) => cap.toUpperCase().replace(/^CAP_/, "");

function capabilities(context: V1SecurityContext | undefined): string[] {
  onlyKeys("securityContext.capabilities", context?.capabilities, new Set(["add", "drop"]));
  const drop = new Set((context?.capabilities?.drop ?? []).map(capName));
  const kept = drop.has("ALL") ? [] : KUBERNETES_DEFAULT_CAPABILITIES.filter((c) => !drop.has(c));
  const added = (context?.capabilities?.add ?? []).map(capName);
  const all = [...new Set([...kept, ...added])];
  return ["--cap-drop=all", ...(all.length > 0 ? [`--cap-add=${all.join(",")}`] : [])];
}

function seccomp(context: V1SecurityContext | undefined): string[] {
  const type = context?.seccompProfile?.type;
  // Without a profile the kubelet runs containers Unconfined (SeccompDefault is off by default);
  // podman would apply its own profile, so that is stated too.
  if (type === undefined || type === "Unconfined") return ["--security-opt=seccomp=unconfined"];
  if (type === "RuntimeDefault") return [];
  throw new TranslationError(`securityContext.seccompProfile.type ${type}`);
}

function user(pod: V1PodSecurityContext | undefined, context: V1SecurityContext | undefined): string[] {
  const uid = context?.runAsUser ?? pod?.runAsUser;
  const gid = context?.runAsGroup ?? pod?.runAsGroup;
  const nonRoot = context?.runAsNonRoot ?? pod?.runAsNonRoot;
  // The kubelet checks runAsNonRoot against the image's USER when no uid is given; the translation
  // cannot see the image, so it insists on an explicit uid.
  if (nonRoot === true && (uid === undefined || uid === 0)) {
    throw new TranslationError("runAsNonRoot without a non-zero runAsUser");
  }
  if (uid === undefined) {
    if (gid !== undefined) throw new TranslationError("runAsGroup without runAsUser");
    return [];
  }
  return [`--user=${uid}${gid === undefined ? "" : `:${gid}`}`];
}

/** podman flags for a container's and its pod's security settings, refusing what it cannot reproduce. */
export function securityFlags(
  pod: V1PodSecurityContext | undefined,
  context: V1SecurityContext | undefined,
): string[] {
  onlyKeys("pod.securityContext", pod, POD_KEYS);
  onlyKeys("securityContext", context, CONTAINER_KEYS);
  onlyKeys("securityContext.seccompProfile", context?.seccompProfile, new Set(["type"]));
  // fsGroup and supplementalGroups become supplemental groups of the container's processes, as in a pod.
  const groups = [...(pod?.fsGroup === undefined ? [] : [pod.fsGroup]), ...(pod?.supplementalGroups ?? [])];
  return [
    ...user(pod, context),
    ...groups.map((g) => `--group-add=${g}`),
    ...capabilities(context),
    ...seccomp(context),
    ...(context?.allowPrivilegeEscalation === false ? ["--security-opt=no-new-privileges"] : []),
    ...(context?.readOnlyRootFilesystem === true ? ["--read-only"] : []),
    ...(context?.privileged === true ? ["--privileged"] : []),
  ];
}
