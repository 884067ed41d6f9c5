import type { V1ResourceRequirements } from "@kubernetes/client-node";
import { onlyKeys } from "./container-security.ts";
import { cpuMillis, cpuShares, memoryBytes } from "./quantities.ts";

const RESOURCE_KEYS = new Set(["requests", "limits"]);
const QUANTITY_KEYS = new Set(["cpu", "memory"]);

/**
 * podman flags for the cgroup limits the kubelet sets on a container (cgroup v1, as here):
 * - limits.cpu → CFS quota (`--cpus`), limits.memory → memory limit without swap (the kubelet runs
 *   without swap, podman would allow as much swap again by default);
 * - requests.cpu → cpu.shares (`--cpu-shares`), defaulting to limits.cpu as the API server defaults it,
 *   and to the kubelet's minimum of 2 shares without either;
 * - requests.memory only places the pod on a node (no cgroup setting on v1), so it has no flag.
 * The kubelet sets no pids limit per container by default; podman's default of 2048 is lifted.
 */
export function resourceFlags(resources: V1ResourceRequirements | undefined): string[] {
  onlyKeys("resources", resources, RESOURCE_KEYS);
  onlyKeys("resources.requests", resources?.requests, QUANTITY_KEYS);
  onlyKeys("resources.limits", resources?.limits, QUANTITY_KEYS);
  const limits = resources?.limits ?? {};
  const requestedCpu = resources?.requests?.cpu ?? limits.cpu;
  const flags: string[] = [];
  if (limits.cpu !== undefined) flags.push(`--cpus=${cpuMillis(limits.cpu) / 1000}`);
  // No request at all: the kubelet's minimum shares (2), not podman's default of 1024.
  flags.push(`--cpu-shares=${cpuShares(requestedCpu === undefined ? 0 : cpuMillis(requestedCpu))}`);
  if (limits.memory !== undefined) {
    const bytes = memoryBytes(limits.memory);
    flags.push(`--memory=${bytes}`, `--memory-swap=${bytes}`);
  }
  // Still a quantity the API server would have to accept.
  if (resources?.requests?.memory !== undefined) memoryBytes(resources.requests.memory);
  flags.push("--pids-limit=-1");
  return flags;
}
