/**
 * Memory and CPU sizes as users write them for Kubernetes ("512Mi", "1Gi"; "0.5", "500m"), kept to the
 * forms both runtimes take, and read into numbers so they can be compared with the platform's limits.
 */

const MEMORY = /^([1-9]\d{0,5})(Mi|Gi)$/;
const CPU_CORES = /^(\d{1,2}(?:\.\d{1,3})?)$/;
const CPU_MILLI = /^([1-9]\d{0,5})m$/;

/** Smallest and largest size of one instance whatever the configuration says. */
export const MEMORY_RANGE_MIB = { min: 128, max: 8192 } as const;
export const CPU_RANGE_MILLI = { min: 100, max: 4000 } as const;

/** MiB of a memory quantity like "512Mi" or "2Gi"; null when it is not written that way. */
export function memoryMiB(quantity: string): number | null {
  const m = MEMORY.exec(quantity);
  if (!m) return null;
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

/** Millicores of a CPU quantity like "0.5" or "500m"; null when it is not written that way. */
export function cpuMillis(quantity: string): number | null {
  const cores = CPU_CORES.exec(quantity);
  if (cores) return Math.round(Number(cores[1]) * 1000);
  const milli = CPU_MILLI.exec(quantity);
  return milli ? Number(milli[1]) : null;
}

/** Why a memory size is refused, or null. */
export function memoryProblem(quantity: string, maxMiB: number = MEMORY_RANGE_MIB.max): string | null {
  const mib = memoryMiB(quantity);
  if (mib === null) return `Memory "${quantity}" is written like 512Mi or 2Gi`;
  if (mib < MEMORY_RANGE_MIB.min) return `Memory "${quantity}" is below the smallest size, 128Mi`;
  if (mib > maxMiB)
    return `Memory "${quantity}" is above the largest size an instance may have, ${formatMiB(maxMiB)}`;
  return null;
}

/** Why a CPU size is refused, or null. */
export function cpuProblem(quantity: string, maxMillis: number = CPU_RANGE_MILLI.max): string | null {
  const millis = cpuMillis(quantity);
  if (millis === null) return `CPU "${quantity}" is written like 0.5 (cores) or 500m (millicores)`;
  if (millis < CPU_RANGE_MILLI.min) return `CPU "${quantity}" is below the smallest size, 0.1 (100m)`;
  if (millis > maxMillis) {
    return `CPU "${quantity}" is above the largest size an instance may have, ${maxMillis / 1000} (${maxMillis}m)`;
  }
  return null;
}

export function formatMiB(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}
