import { TranslationError } from "./translation-error.ts";

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A Kubernetes memory quantity ("4Gi", "512Mi", "2G", "1000") in bytes. */
export function memoryBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!match?.[1]) throw new TranslationError(`memory quantity ${JSON.stringify(quantity)}`);
  const unit = match[2] ?? "";
  const factor = BINARY[unit] ?? DECIMAL[unit] ?? 1;
  return Math.round(Number(match[1]) * factor);
}

/** A Kubernetes CPU quantity ("2", "1.5", "250m") in millicores. */
export function cpuMillis(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(m)?$/.exec(quantity);
  if (!match?.[1]) throw new TranslationError(`cpu quantity ${JSON.stringify(quantity)}`);
  return match[2] ? Math.round(Number(match[1])) : Math.round(Number(match[1]) * 1000);
}

/** The kubelet's cpu.shares for a CPU request: millicores × 1024 / 1000, at least 2. */
export function cpuShares(millis: number): number {
  return Math.max(2, Math.floor((millis * 1024) / 1000));
}
