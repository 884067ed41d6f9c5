import { describe, expect, it } from "vitest";
import { processTypes } from "./process-types.ts";

describe("processTypes", () => {
  it("runs web with the image's command beside the Procfile's other processes", () => {
    expect(
      processTypes({ port: 3000, processes: { worker: "node worker.js", Clock_1: "node clock.js" } }),
    ).toEqual({
      web: null,
      worker: "node worker.js",
      "clock-1": "node clock.js",
    });
  });

  it("has no web for a worker-only Procfile, and web alone for a plan with nothing else", () => {
    expect(processTypes({ port: null, processes: { worker: "celery -A app worker" } })).toEqual({
      worker: "celery -A app worker",
    });
    expect(processTypes({ port: null, processes: {} })).toEqual({ web: null });
  });

  it("drops names no container or Kubernetes object could carry", () => {
    expect(processTypes({ port: 8080, processes: { "9lives": "x", ["a".repeat(40)]: "y" } })).toEqual({
      web: null,
    });
  });
});
