import { InputError } from "@kli8nt/core";

const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const UNIT: Record<string, number> = {
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

/** A Kubernetes memory quantity ("512Mi", "1G") in bytes: the formation is written once for both runtimes. */
export function memoryBytes(quantity: string): number {
  const m = MEMORY.exec(quantity.trim());
  if (!m) throw new InputError("QUANTITY_INVALID", `"${quantity}" is not a memory quantity such as 512Mi`);
  return Math.round(Number(m[1]) * (m[2] ? (UNIT[m[2]] ?? 1) : 1));
}

/** A Kubernetes CPU quantity ("0.5", "500m") in cores. */
export function cpuCores(quantity: string): number {
  const q = quantity.trim();
  const cores = q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q);
  if (!Number.isFinite(cores) || cores <= 0)
    throw new InputError("QUANTITY_INVALID", `"${quantity}" is not a CPU quantity such as 0.5 or 500m`);
  return cores;
}

/** `podman run` limit flags for a formation's sizes; a legacy "512m" memory setting is podman's own form. */
export function limitFlags(memory: string | undefined, cpu: string | undefined): string[] {
  const flags: string[] = [];
  if (memory) flags.push("--memory", /^\d+[bkmg]$/.test(memory) ? memory : `${memoryBytes(memory)}b`);
  if (cpu) flags.push("--cpus", String(cpuCores(cpu)));
  return flags;
}
