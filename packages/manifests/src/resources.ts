import type { V1ResourceRequirements } from "@kubernetes/client-node";
import type { ManifestProcess, ManifestRelease } from "./inputs.ts";
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from "./quantity.ts";
import type { NamespaceQuota } from "./settings.ts";

/** CPU may burst to this many times its request (docs/adr/0193). */
export const CPU_LIMIT_FACTOR = 2;
/** Pods outside the formation the quota keeps room for: the release Job and one cron run. */
export const ONE_OFF_PODS = 2;

/**
 * The resource policy of a process (docs/adr/0193): memory request = limit (the scheduler reserves what
 * the pod may use, so a node never overcommits memory and the OOM killer only hits the pod past its own
 * size); CPU request = the size, limit = twice it (CPU is compressible: bursts are throttled, not killed).
 */
export function processResources(p: Pick<ManifestProcess, "memory" | "cpu">): V1ResourceRequirements {
  const millis = cpuMillis(p.cpu) ?? 0;
  return {
    requests: { cpu: p.cpu, memory: p.memory },
    limits: { cpu: formatCpu(millis * CPU_LIMIT_FACTOR), memory: p.memory },
  };
}

/** The most instances a type can have at once: its count, or the autoscaler's max for `web`. */
export function maxInstances(p: ManifestProcess, release: Pick<ManifestRelease, "autoscale">): number {
  return p.type === "web" && release.autoscale ? Math.max(p.count, release.autoscale.max) : p.count;
}

/**
 * A quota that admits the formation: every instance plus the rolling update's surge pod per type, and the
 * one-off pods (release, a cron run) at the largest size, never below the operator's quota. Limits per user
 * and cluster are the API's to enforce before a formation gets here (docs/adr/0190).
 */
export function formationQuota(
  processes: readonly ManifestProcess[],
  release: Pick<ManifestRelease, "autoscale">,
  floor: NamespaceQuota,
): NamespaceQuota {
  let pods = 0;
  let cpu = 0;
  let memory = 0;
  let largestCpu = 0;
  let largestMemory = 0;
  for (const p of processes) {
    const instances = maxInstances(p, release);
    const c = cpuMillis(p.cpu) ?? 0;
    const m = memoryBytes(p.memory) ?? 0;
    largestCpu = Math.max(largestCpu, c);
    largestMemory = Math.max(largestMemory, m);
    if (instances === 0) continue;
    pods += instances + 1;
    cpu += (instances + 1) * c;
    memory += (instances + 1) * m;
  }
  pods += ONE_OFF_PODS;
  cpu += ONE_OFF_PODS * largestCpu;
  memory += ONE_OFF_PODS * largestMemory;
  return {
    pods: Math.max(floor.pods, pods),
    requestsCpu: maxCpu(floor.requestsCpu, cpu),
    requestsMemory: maxMemory(floor.requestsMemory, memory),
    limitsCpu: maxCpu(floor.limitsCpu, cpu * CPU_LIMIT_FACTOR),
    limitsMemory: maxMemory(floor.limitsMemory, memory),
  };
}

function maxCpu(floor: string, millis: number): string {
  return (cpuMillis(floor) ?? 0) >= millis ? floor : formatCpu(millis);
}

function maxMemory(floor: string, bytes: number): string {
  return (memoryBytes(floor) ?? 0) >= bytes ? floor : formatMemory(bytes);
}
