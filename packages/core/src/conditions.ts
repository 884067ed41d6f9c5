/** The condition types a deployment reports, as Kubernetes does for its objects. */
export const CONDITION_TYPES = ["building", "deploying", "available", "degraded"] as const;
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
