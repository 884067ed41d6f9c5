import { ConflictError } from "./errors.ts";

export const DEPLOYMENT_STATES = [
  "queued",
  "building",
  "built",
  "deploying",
  "live",
  "failed",
  "cancelled",
  "superseded",
] as const;

export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/**
 * Allowed transitions. `live → superseded` happens when a newer release takes traffic, and
 * `superseded → live` when a rollback brings an earlier release back without a rebuild.
 */
const TRANSITIONS: Readonly<Record<DeploymentState, readonly DeploymentState[]>> = {
  queued: ["building", "deploying", "failed", "cancelled"],
  building: ["built", "failed", "cancelled"],
  built: ["deploying", "failed", "cancelled"],
  deploying: ["live", "failed", "cancelled"],
  live: ["superseded"],
  failed: [],
  cancelled: [],
  superseded: ["deploying", "live"],
};

const TERMINAL: ReadonlySet<DeploymentState> = new Set(["failed", "cancelled"]);

export function canTransition(from: DeploymentState, to: DeploymentState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws DEPLOYMENT_TRANSITION_INVALID unless `from → to` is allowed. A no-op move (same state) is allowed. */
export function assertTransition(from: DeploymentState, to: DeploymentState): void {
  if (from === to || canTransition(from, to)) return;
  throw new ConflictError(
    "DEPLOYMENT_TRANSITION_INVALID",
    `A deployment in state "${from}" cannot move to "${to}"`,
    { details: { from, to, allowed: TRANSITIONS[from] } },
  );
}

/** True for states no message can move out of. */
export function isFinalState(state: DeploymentState): boolean {
  return TERMINAL.has(state);
}

/** True while a deployment still has work ahead of it (can be cancelled). */
export function isInFlight(state: DeploymentState): boolean {
  return state === "queued" || state === "building" || state === "built" || state === "deploying";
}
