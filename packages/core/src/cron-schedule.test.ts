import { describe, expect, it } from "vitest";
import { CRON_JOB_NAME, cronScheduleProblem, latestCronRun, nextCronRun } from "./cron-schedule.ts";

const at = (iso: string) => new Date(iso);

describe("cronScheduleProblem", () => {
  it.each([
    "* * * * *",
    "0 3 * * *",
    "*/5 * * * *",
    "0 9-17 * * MON-FRI",
    "30 2 1,15 * *",
    "0 0 1 jan,jul *",
    "  0 3 * * 0  ",
  ])("accepts %s", (schedule) => {
    expect(cronScheduleProblem(schedule)).toBeNull();
  });

  it.each([
    ["* * * * * *", "5 fields"],
    ["@daily", "5 fields"],
    ["0 3 * *", "5 fields"],
    ["60 * * * *", "minute"],
    ["0 24 * * *", "hour"],
    ["0 3 L * *", "day of month"],
    ["0 3 * * 1#2", "day of week"],
    ["0 3 ? * *", "day of month"],
    ["0 3 * * 7", "0-6"],
    ["0 3 * foo *", "not a month name"],
    ["*/0 * * * *", "not valid"],
    ["0 0 31 2 *", "never runs"],
    ["0 3 * * *; rm -rf /", "5 fields"],
  ])("refuses %s, saying %s", (schedule, why) => {
    expect(cronScheduleProblem(schedule)).toContain(why);
  });
});

describe("schedule arithmetic, in UTC", () => {
  it("gives the next run strictly after a time", () => {
    expect(nextCronRun("0 3 * * *", at("2026-12-04T03:00:00Z"))).toEqual(at("2026-12-05T03:00:00Z"));
    expect(nextCronRun("* * * * *", at("2026-12-04T10:00:30Z"))).toEqual(at("2026-12-04T10:01:00Z"));
  });

  it("gives the latest run at or before a time, its own minute included", () => {
    expect(latestCronRun("* * * * *", at("2026-12-04T10:00:59.999Z"))).toEqual(at("2026-12-04T10:00:00Z"));
    expect(latestCronRun("*/5 * * * *", at("2026-12-04T10:04:00Z"))).toEqual(at("2026-12-04T10:00:00Z"));
    expect(latestCronRun("0 3 * * *", at("2026-12-04T02:59:00Z"))).toEqual(at("2026-12-03T03:00:00Z"));
  });

  it("names cron jobs like process types", () => {
    expect(CRON_JOB_NAME.test("nightly-report")).toBe(true);
    expect(CRON_JOB_NAME.test("Nightly")).toBe(false);
    expect(CRON_JOB_NAME.test("a".repeat(31))).toBe(false);
  });
});
