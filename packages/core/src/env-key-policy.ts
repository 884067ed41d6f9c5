/**
 * App variable names Kli8nt refuses, and why (ADR 0135). App env only ever reaches the app's own process or
 * container, but these names configure the dynamic loader, the container tools or the platform itself: a
 * single slip that put them in a host process's environment would let a tenant choose what runs on the host.
 * Refusing them costs apps nothing they need; `PATH`, `HOME`, `NODE_OPTIONS` and friends stay allowed and
 * affect only the app.
 */
const REFUSED_PREFIXES: readonly (readonly [prefix: string, why: string])[] = [
  ["LD_", "names starting with LD_ configure the dynamic loader (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT)"],
  ["DYLD_", "names starting with DYLD_ configure the dynamic loader"],
  [
    "CONTAINER",
    "names starting with CONTAINER configure podman and buildah (CONTAINER_HOST, CONTAINERS_CONF)",
  ],
  ["PODMAN", "names starting with PODMAN configure podman"],
  ["BUILDAH", "names starting with BUILDAH configure buildah"],
  ["DOCKER_", "names starting with DOCKER_ configure container clients (DOCKER_HOST, DOCKER_CONFIG)"],
  ["KLI8NT_", "names starting with KLI8NT_ are reserved for the platform's own settings"],
];

const REFUSED_NAMES: ReadonlyMap<string, string> = new Map([
  ["PORT", "PORT is set by Kli8nt to the port the app must listen on"],
  ["GLIBC_TUNABLES", "GLIBC_TUNABLES configures the C library's loader"],
  ["REGISTRY_AUTH_FILE", "REGISTRY_AUTH_FILE chooses the credentials podman and buildah use"],
  ["STORAGE_DRIVER", "STORAGE_DRIVER configures the container image store"],
  ["STORAGE_OPTS", "STORAGE_OPTS configures the container image store"],
]);

/** Why Kli8nt refuses an app variable of this name, or null when the name is allowed. */
export function refusedEnvKeyReason(key: string): string | null {
  const named = REFUSED_NAMES.get(key);
  if (named) return named;
  const upper = key.toUpperCase();
  const match = REFUSED_PREFIXES.find(([prefix]) => upper.startsWith(prefix));
  return match ? `${match[1]}; Kli8nt refuses them so no app setting can change what runs on the host` : null;
}
