import { randomBytes } from "node:crypto";

/**
 * An instance key: the release, the process type and its index, then a short random part, so a replacement
 * (rolling restart, crash restart) can run beside the instance it replaces under another name.
 */
export function instanceKey(deploymentId: string, process: string, index: number): string {
  return `${deploymentId}-${process}-${index}-${randomBytes(3).toString("hex")}`;
}

/** The key of a one-off run (release phase, a cron run): one per run id, so a retry re-attaches. */
export function oneOffKey(deploymentId: string, phase: string, runId: string): string {
  return `${deploymentId}-${phase}-${runId}`.slice(0, 120);
}
