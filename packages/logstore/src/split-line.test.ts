import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LogRecord } from "./record.ts";
import { splitLongLine } from "./split-line.ts";

const base: LogRecord = {
  timestamp: "2026-11-25T10:00:00.000Z",
  appId: "a",
  deploymentId: "d",
  phase: "run",
  source: "s",
  stream: "stdout",
  line: "",
};

describe("splitLongLine", () => {
  it("keeps a line of exactly the limit whole", () => {
    expect(splitLongLine({ ...base, line: "x".repeat(16 * 1024) })).toHaveLength(1);
  });

  it("splits one byte over the limit into two pieces, marking the first", () => {
    const pieces = splitLongLine({ ...base, line: "x".repeat(16 * 1024 + 1) });
    expect(pieces.map((p) => [p.line.length, p.partial])).toEqual([
      [16 * 1024, true],
      [1, undefined],
    ]);
  });

  it("never cuts a character and rejoins to the original (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.integer({ min: 4, max: 40 }),
        (line, max) => {
          const pieces = splitLongLine({ ...base, line }, max);
          expect(pieces.map((p) => p.line).join("")).toBe(line);
          for (const p of pieces) {
            expect(Buffer.byteLength(p.line)).toBeLessThanOrEqual(max);
            expect(Buffer.from(p.line).toString()).toBe(p.line);
          }
          expect(pieces.slice(0, -1).every((p) => p.partial === true)).toBe(true);
          expect(pieces.at(-1)?.partial).toBeUndefined();
        },
      ),
    );
  });
});
