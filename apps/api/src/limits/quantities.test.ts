import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { cpuMillis, cpuProblem, memoryMiB, memoryProblem } from "./quantities.ts";

describe("instance sizes", () => {
  it("reads memory in Mi and Gi, CPU in cores and millicores", () => {
    expect(memoryMiB("512Mi")).toBe(512);
    expect(memoryMiB("2Gi")).toBe(2048);
    expect(memoryMiB("512M")).toBeNull();
    expect(memoryMiB("0.5Gi")).toBeNull();
    expect(cpuMillis("0.5")).toBe(500);
    expect(cpuMillis("2")).toBe(2000);
    expect(cpuMillis("250m")).toBe(250);
    expect(cpuMillis("-1")).toBeNull();
  });

  it("keeps sizes within 128Mi-8Gi and 0.1-4 cores, or a lower configured maximum", () => {
    expect(memoryProblem("128Mi")).toBeNull();
    expect(memoryProblem("8Gi")).toBeNull();
    expect(memoryProblem("127Mi")).toContain("smallest");
    expect(memoryProblem("8193Mi")).toContain("largest");
    expect(memoryProblem("2Gi", 1024)).toContain("1Gi");
    expect(cpuProblem("4000m")).toBeNull();
    expect(cpuProblem("0.05")).toContain("smallest");
    expect(cpuProblem("1", 500)).toContain("500m");
  });
});

describe("formation settings", () => {
  it("has defaults and reads every KLI8NT_MAX_* and default size", () => {
    expect(loadConfig({}).formation).toEqual({
      defaults: { count: 1, memory: "512Mi", cpu: "0.5" },
      instancesPerApp: 10,
      instancesPerUser: 50,
      instancesTotal: 1000,
      memoryPerInstanceMiB: 8192,
      cpuPerInstanceMillis: 4000,
      cronJobsPerApp: 20,
    });
    const set = loadConfig({
      KLI8NT_DEFAULT_INSTANCE_MEMORY: "256Mi",
      KLI8NT_DEFAULT_INSTANCE_CPU: "250m",
      KLI8NT_MAX_INSTANCE_MEMORY: "1Gi",
      KLI8NT_MAX_INSTANCE_CPU: "2",
      KLI8NT_MAX_CRON_JOBS_PER_APP: "0",
    }).formation;
    expect(set).toMatchObject({
      defaults: { memory: "256Mi", cpu: "250m" },
      memoryPerInstanceMiB: 1024,
      cpuPerInstanceMillis: 2000,
      cronJobsPerApp: 0,
    });
  });

  it("names a bad setting", () => {
    expect(() => loadConfig({ KLI8NT_MAX_INSTANCE_MEMORY: "lots" })).toThrow(/KLI8NT_MAX_INSTANCE_MEMORY/);
    expect(() => loadConfig({ KLI8NT_MAX_INSTANCES_PER_USER: "0" })).toThrow(/KLI8NT_MAX_INSTANCES_PER_USER/);
  });
});
