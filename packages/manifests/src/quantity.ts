/**
 * The few Kubernetes quantity forms a formation uses, as numbers: CPU in millicores, memory in bytes.
 * Enough to add sizes up for the namespace quota; the API server remains the judge of what it accepts.
 */
const CPU = /^([0-9]+(?:\.[0-9]+)?)(m?)$/;
const MEMORY = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** "0.5" → 500, "250m" → 250; undefined for anything else. */
export function cpuMillis(quantity: string): number | undefined {
  const m = CPU.exec(quantity);
  if (!m) return undefined;
  const value = Number(m[1]);
  return Math.ceil(m[2] === "m" ? value : value * 1000);
}

/** "512Mi" → 536870912, "1G" → 1e9; undefined for anything else. */
export function memoryBytes(quantity: string): number | undefined {
  const m = MEMORY.exec(quantity);
  if (!m) return undefined;
  return Math.ceil(Number(m[1]) * (MEMORY_UNITS[m[2] ?? ""] ?? 1));
}

export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Whole MiB when it divides, else bytes: quota values stay readable. */
export function formatMemory(bytes: number): string {
  if (bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30}Gi`;
  if (bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20}Mi`;
  return String(bytes);
}
