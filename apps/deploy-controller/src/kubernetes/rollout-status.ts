import type { V1Deployment } from "@kubernetes/client-node";

export type RolloutStatus =
  | { readonly state: "progressing"; readonly message: string }
  | { readonly state: "complete" }
  | { readonly state: "failed"; readonly reason: string; readonly message: string };

/**
 * Where a Deployment's rollout stands, judged as `kubectl rollout status` does: the controller must have
 * observed at least `generation` (the one our apply produced), a Progressing condition with
 * ProgressDeadlineExceeded is a failure, and the rollout is complete once every replica is updated and
 * available and no old replica is left.
 */
export function rolloutStatus(deployment: V1Deployment, generation: number): RolloutStatus {
  const status = deployment.status ?? {};
  if ((status.observedGeneration ?? 0) < generation) {
    return { state: "progressing", message: "waiting for the Deployment controller to observe the change" };
  }
  const progressing = status.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return { state: "failed", reason: "ProgressDeadlineExceeded", message: progressing.message ?? "" };
  }
  const wanted = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const total = status.replicas ?? 0;
  if (updated < wanted) return { state: "progressing", message: `${updated} of ${wanted} replicas updated` };
  if (total > updated) {
    return { state: "progressing", message: `${total - updated} old replicas pending termination` };
  }
  if (available < updated) {
    return { state: "progressing", message: `${available} of ${updated} updated replicas available` };
  }
  return { state: "complete" };
}
