import { describe, expect, it } from "vitest";
import { Checkpoint, parseTimedLine, timeKey } from "./log-line.ts";

describe("parseTimedLine", () => {
  it("splits the timestamp from the content, keeping spaces in the content", () => {
    expect(parseTimedLine("2026-01-01T00:00:00.000000001Z  hello  world")).toEqual({
      timestamp: "2026-01-01T00:00:00.000000001Z",
      line: " hello  world",
    });
    expect(parseTimedLine("no timestamp")).toBeUndefined();
  });
});

describe("timeKey", () => {
  it("orders timestamps of different precision", () => {
    expect(timeKey("2026-01-01T00:00:01Z") > timeKey("2026-01-01T00:00:00.999999999Z")).toBe(true);
    expect(timeKey("2026-01-01T00:00:00.5Z")).toBe(timeKey("2026-01-01T00:00:00.500000000Z"));
  });
});

describe("Checkpoint", () => {
  const t = (s: string, line: string) => ({ timestamp: `2026-01-01T00:00:0${s}Z`, line });

  it("drops the re-sent boundary after a reconnect but keeps genuinely new lines", () => {
    const cp = new Checkpoint();
    expect([t("1", "a"), t("2", "b"), t("2", "c")].map((e) => cp.accept(e))).toEqual([true, true, true]);
    cp.reconnecting();
    // sinceTime has second precision: the server re-sends everything from second 2 (and maybe before).
    const replay = [t("1", "a"), t("2", "b"), t("2", "c"), t("2", "d"), t("3", "e")];
    expect(replay.map((e) => cp.accept(e))).toEqual([false, false, false, true, true]);
  });

  it("keeps a repeated line that is new (same content twice at one timestamp)", () => {
    const cp = new Checkpoint("2026-01-01T00:00:02Z", ["x"]);
    cp.reconnecting();
    expect([t("2", "x"), t("2", "x")].map((e) => cp.accept(e))).toEqual([false, true]);
    expect(cp.since).toBe("2026-01-01T00:00:02Z");
  });
});
