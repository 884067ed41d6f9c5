import type { Deployment, DeploymentState } from "../api/types.ts";

const LABELS: Readonly<Record<DeploymentState, string>> = {
  queued: "Queued",
  building: "Building",
  built: "Built",
  deploying: "Deploying",
  live: "Live",
  failed: "Failed",
  cancelled: "Cancelled",
  superseded: "Superseded",
};

/** The state in words (never colour alone), with a dot for a quick scan. */
export function StatusBadge({ state }: { readonly state: DeploymentState | null }) {
  if (state === null) return <span className="badge badge-none">Not deployed</span>;
  return <span className={`badge badge-${state}`}>{LABELS[state]}</span>;
}

/**
 * A live release's health from its `degraded` condition: "Restarting" or "Crash loop" with the reason's
 * message (the last output lines) as the tooltip, and the restart count; nothing while it runs cleanly.
 */
export function HealthBadge({ deployment }: { readonly deployment: Deployment }) {
  const degraded = deployment.conditions?.find((c) => c.type === "degraded" && c.status === "true");
  const restarts = deployment.restarts ?? 0;
  if (!degraded && restarts === 0) return null;
  const label = { CrashLoop: "Crash loop", Restarting: "Restarting" }[degraded?.reason ?? ""] ?? "Restarted";
  const tone = degraded?.reason === "CrashLoop" ? "failed" : "deploying";
  return (
    <span className={`badge badge-${tone}`} title={degraded?.message ?? ""}>
      {label} · {restarts} restart{restarts === 1 ? "" : "s"}
    </span>
  );
}
