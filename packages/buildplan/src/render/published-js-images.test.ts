import { describe, expect, it } from "vitest";
import { basePlan } from "../plan-base.ts";
import { resolveVersion, VERSION_TABLE } from "../versions.ts";
import { baseImage } from "./base-images.ts";

/**
 * Tags the official JavaScript runtime images publish (Docker Hub tag lists, reviewed 2026-12): node keeps
 * `<major>-slim` for every even (LTS) line from 18 on; oven/bun `1-slim`; denoland/deno `1` and `2`.
 * Odd Node lines (21, 23, 25) are short-lived and never LTS, so the table leaves them out on purpose.
 */
const PUBLISHED = {
  node: new Set(["18", "20", "22", "24", "25"].map((v) => `node:${v}-slim`)),
  bun: new Set(["oven/bun:1-slim"]),
  deno: new Set(["denoland/deno:1", "denoland/deno:2"]),
};

const planWith = (runtime: "node" | "bun" | "deno", version: string) => {
  const plan = basePlan("node", 3000);
  plan.runtimeVersions[runtime] = version;
  return plan;
};

describe("JavaScript runtime tables against published images", () => {
  for (const runtime of ["node", "bun", "deno"] as const) {
    it(`${runtime}: every table entry and the default name an image that exists`, () => {
      const table = VERSION_TABLE[runtime];
      for (const v of [...table.versions, table.default]) {
        expect(PUBLISHED[runtime], `${runtime} ${v}`).toContain(baseImage(runtime, planWith(runtime, v)));
      }
    });
  }

  it("a Node version no image has is replaced by a supported one, with a warning", () => {
    expect(resolveVersion("node", "16")).toMatchObject({
      version: "18",
      warning: expect.stringMatching(/out of support/),
    });
    expect(resolveVersion("node", "23")).toMatchObject({ version: "24", warning: expect.any(String) });
    expect(resolveVersion("node", "30")).toMatchObject({
      version: "24",
      warning: expect.stringMatching(/newer than the newest supported/),
    });
    expect(resolveVersion("node", "18")).toMatchObject({
      version: "18",
      warning: expect.stringMatching(/end of life/),
    });
    expect(resolveVersion("node", "22").warning).toBeUndefined();
  });
});
