/**
 * web's autoscaler on Kubernetes (ADR 0207): replicas between `min` and `max` on average CPU utilisation,
 * in percent of the process's CPU. Stored beside web's count in the app's formation (`apps.formation`,
 * a JSON column), so it needs no column of its own.
 */
export interface Autoscale {
  readonly min: number;
  readonly max: number;
  readonly targetCpu: number;
}

/** A stored formation entry, with the autoscaler only `web` may carry. */
export interface AutoscaledEntry {
  readonly autoscale?: Autoscale;
}

/** The autoscaler stored for a process type, if any (entries are JSON: checked, not trusted). */
export function autoscaleOf(
  formation: Readonly<Record<string, object | undefined>>,
  type = "web",
): Autoscale | null {
  const a = (formation[type] as AutoscaledEntry | undefined)?.autoscale;
  if (!a || typeof a !== "object") return null;
  const ok = [a.min, a.max, a.targetCpu].every((n) => Number.isInteger(n) && n > 0) && a.min <= a.max;
  return ok ? { min: a.min, max: a.max, targetCpu: a.targetCpu } : null;
}
