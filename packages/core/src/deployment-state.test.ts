import { describe, expect, it } from "vitest";
import { assertTransition, canTransition, DEPLOYMENT_STATES, isFinalState } from "./deployment-state.ts";

describe("deployment state machine", () => {
  it("walks the happy path queued → building → built → deploying → live → superseded", () => {
    const path = ["queued", "building", "built", "deploying", "live", "superseded"] as const;
    for (let i = 1; i < path.length; i++) {
      expect(canTransition(path[i - 1] as (typeof path)[number], path[i] as (typeof path)[number])).toBe(
        true,
      );
    }
  });

  it("rejects illegal moves with a stable code", () => {
    expect(() => assertTransition("queued", "live")).toThrowError(
      expect.objectContaining({ code: "DEPLOYMENT_TRANSITION_INVALID", kind: "conflict" }),
    );
    expect(() => assertTransition("failed", "building")).toThrow(/cannot move/);
    expect(() => assertTransition("live", "building")).toThrow();
  });

  it("lets a superseded release come back by rollback without a rebuild", () => {
    expect(canTransition("superseded", "live")).toBe(true);
    expect(canTransition("superseded", "building")).toBe(false);
  });

  it("treats failed and cancelled as final: nothing leaves them", () => {
    for (const from of DEPLOYMENT_STATES.filter(isFinalState)) {
      for (const to of DEPLOYMENT_STATES) {
        if (to !== from) expect(canTransition(from, to)).toBe(false);
      }
    }
  });

  it("allows re-asserting the current state (redelivered messages)", () => {
    expect(() => assertTransition("building", "building")).not.toThrow();
  });
});
