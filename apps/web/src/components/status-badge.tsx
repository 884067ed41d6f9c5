import type { DeploymentState } from "../api/types.ts";

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
