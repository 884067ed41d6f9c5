import { describe, expect, it } from "vitest";
import { formationOf } from "./formation.ts";

describe("formationOf", () => {
  it("puts web first, applies overrides over defaults and keeps commands", () => {
    const f = formationOf(
      { worker: "node worker.js", web: "node server.js", clock: null },
      { worker: { count: 2, memory: "256Mi" } },
      { count: 1, memory: "512Mi", cpu: "0.5" },
    );
    expect(f).toEqual([
      { type: "web", command: "node server.js", count: 1, memory: "512Mi", cpu: "0.5" },
      { type: "clock", command: null, count: 1, memory: "512Mi", cpu: "0.5" },
      { type: "worker", command: "node worker.js", count: 2, memory: "256Mi", cpu: "0.5" },
    ]);
  });

  it("treats a release without process types as one web process with the image's CMD", () => {
    expect(formationOf(null, {})).toEqual([
      { type: "web", command: null, count: 1, memory: "512Mi", cpu: "0.5" },
    ]);
  });

  it("reports every count as 0 for a stopped app and keeps the sizes", () => {
    const f = formationOf({ web: null, worker: "w" }, { web: { count: 3, cpu: "1" } }, undefined, true);
    expect(f.map((p) => [p.type, p.count, p.cpu])).toEqual([
      ["web", 0, "1"],
      ["worker", 0, "0.5"],
    ]);
  });
});
