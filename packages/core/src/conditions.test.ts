import { describe, expect, it } from "vitest";
import { applyStateConditions, setCondition } from "./conditions.ts";

const t0 = new Date("2026-12-04T10:00:00Z");
const t1 = new Date("2026-12-04T10:01:00Z");

describe("conditions", () => {
  it("keeps the transition time while the status holds, and moves it when the status changes", () => {
    const a = setCondition([], { type: "degraded", status: "true", reason: "Restarting", message: "m" }, t0);
    const b = setCondition(a, { type: "degraded", status: "true", reason: "CrashLoop", message: "m2" }, t1);
    expect(b).toEqual([
      {
        type: "degraded",
        status: "true",
        reason: "CrashLoop",
        message: "m2",
        lastTransitionTime: t0.toISOString(),
      },
    ]);
    const c = setCondition(b, { type: "degraded", status: "false", reason: "Running", message: "" }, t1);
    expect(c[0]?.lastTransitionTime).toBe(t1.toISOString());
  });

  it("walks a deployment through building, deploying and live, in type order", () => {
    let c = applyStateConditions([], "building", null, t0);
    c = applyStateConditions(c, "built", null, t0);
    c = applyStateConditions(c, "deploying", null, t0);
    c = applyStateConditions(c, "live", null, t1);
    expect(c.map((x) => `${x.type}=${x.status}:${x.reason}`)).toEqual([
      "building=false:Built",
      "deploying=false:Live",
      "available=true:Live",
      "degraded=false:Live",
    ]);
  });

  it("a failure marks only the phases reached, with the reason", () => {
    let c = applyStateConditions([], "building", null, t0);
    c = applyStateConditions(c, "failed", "npm ci exited with 1", t1);
    expect(c.map((x) => `${x.type}=${x.status}:${x.reason}:${x.message}`)).toEqual([
      "building=false:Failed:npm ci exited with 1",
      "available=false:Failed:npm ci exited with 1",
    ]);
  });
});
