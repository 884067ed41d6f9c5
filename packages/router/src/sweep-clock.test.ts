import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SweepClock } from "./sweep-clock.ts";

describe("SweepClock", () => {
  it("sweeps once a second, or a quarter of the shortest timeout, never below 25 ms", () => {
    expect(SweepClock.intervalFor([60_000, 30_000, 5000])).toBe(1000);
    expect(SweepClock.intervalFor([300, 30_000, 5000])).toBe(75);
    expect(SweepClock.intervalFor([40, 30_000])).toBe(25);
    // 0 means no limit: it does not make the sweep faster.
    expect(SweepClock.intervalFor([0, 0])).toBe(1000);
  });

  it("never fires a deadline before its time, however old the last sweep is", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120_000 }),
        fc.integer({ min: 25, max: 1000 }),
        fc.integer({ min: 0, max: 999 }),
        (ms, interval, agePct) => {
          const clock = new SweepClock(interval);
          // The real time of arming is up to one interval after the last sweep.
          const armedAt = clock.now + Math.floor((interval * agePct) / 1000);
          const due = clock.deadline(ms);
          expect(due).toBeGreaterThanOrEqual(armedAt + ms);
          // …and the first sweep at or after `due` comes at most one more interval later.
          expect(due - (armedAt + ms)).toBeLessThanOrEqual(interval);
        },
      ),
    );
  });

  it("has no deadline for a timeout of 0", () => {
    expect(new SweepClock(1000).deadline(0)).toBe(0);
  });
});
