/** The condition types a deployment reports, as Kubernetes does for its objects. */
export const CONDITION_TYPES = ["building", "released", "deploying", "available", "degraded"] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/**
 * One observed fact about a deployment. `reason` is a CamelCase word a program can match on
 * (`CrashLoop`, `Restarting`, `HealthCheckFailed`); `message` says it in words for a person.
 */
export interface Condition {
  readonly type: ConditionType;
  readonly status: "true" | "false" | "unknown";
  readonly reason: string;
  readonly message: string;
  /** RFC 3339; changes only when `status` changes, so it says since when the fact holds. */
  readonly lastTransitionTime: string;
}

export type ConditionInput = Omit<Condition, "lastTransitionTime">;

/**
 * Returns `conditions` with `next` set: replaces the condition of the same type, keeping its transition
 * time when the status did not change (a repeated "still crashing" must not reset "since when").
 */
export function setCondition(conditions: readonly Condition[], next: ConditionInput, now: Date): Condition[] {
  const previous = conditions.find((c) => c.type === next.type);
  const lastTransitionTime =
    previous && previous.status === next.status ? previous.lastTransitionTime : now.toISOString();
  const updated: Condition = { ...next, lastTransitionTime };
  const rest = conditions.filter((c) => c.type !== next.type);
  return [...rest, updated].sort((a, b) => CONDITION_TYPES.indexOf(a.type) - CONDITION_TYPES.indexOf(b.type));
}

/** The condition of `type`, if any. */
export function findCondition(conditions: readonly Condition[], type: ConditionType): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

/**
 * The conditions a move to `state` sets: a deployment says which phase it is in and why it left it, so the
 * API, UI and CLI show "building", "deploying", "available" or "degraded" with a reason instead of a bare
 * state. Runtime health (restarts, crash loops) is set by the reconciler on top of these.
 */
export function conditionsForState(state: string, reason: string | null): ConditionInput[] {
  const why = reason ?? "";
  switch (state) {
    case "building":
      return [{ type: "building", status: "true", reason: "Building", message: "The image is being built" }];
    case "built":
      return [{ type: "building", status: "false", reason: "Built", message: "The image is built" }];
    case "deploying":
      return [{ type: "deploying", status: "true", reason: "Deploying", message: "The release is starting" }];
    case "live":
      return [
        { type: "deploying", status: "false", reason: "Live", message: "The release took traffic" },
        { type: "available", status: "true", reason: "Live", message: "The release answers" },
        { type: "degraded", status: "false", reason: "Live", message: "" },
      ];
    case "superseded":
      return [
        { type: "available", status: "false", reason: "Superseded", message: "A newer release took traffic" },
      ];
    case "failed":
      return [
        { type: "building", status: "false", reason: "Failed", message: why },
        { type: "deploying", status: "false", reason: "Failed", message: why },
        { type: "available", status: "false", reason: "Failed", message: why },
      ];
    case "cancelled":
      return [{ type: "deploying", status: "false", reason: "Cancelled", message: why }];
    default:
      return [];
  }
}

/** `conditions` after a move to `state`; on a failure only the phases the deployment reached are touched. */
export function applyStateConditions(
  conditions: readonly Condition[],
  state: string,
  reason: string | null,
  now: Date,
): Condition[] {
  let next = [...conditions];
  for (const change of conditionsForState(state, reason)) {
    const reached = next.some((c) => c.type === change.type);
    if (state === "failed" && !reached && change.type !== "available") continue;
    next = setCondition(next, change, now);
  }
  return next;
}
