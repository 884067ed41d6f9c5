import { describe, expect, it } from "vitest";
import { failureReason } from "./failure-reason.ts";

describe("failureReason", () => {
  it("names the failing step's own error line, with the step and buildah's status", () => {
    const tail = [
      "[3/4] STEP 8/8: RUN npm run build && rm -rf node_modules",
      "",
      "> node-hello@1.0.0 build",
      "> vite build",
      "",
      "Error: Cannot find module vite",
      "    at Module._resolveFilename (node:internal/modules/cjs/loader:1145:15)",
      "subprocess exited with status 1",
      "subprocess exited with status 1",
      "[2/4] STEP 1/2: FROM a769764b AS prod-deps",
      "[2/4] STEP 2/2: RUN npm prune --omit=dev && mkdir -p node_modules",
      'Error: building at STEP "RUN npm run build && rm -rf node_modules": exit status 1',
    ];
    expect(failureReason(tail)).toBe(
      'The build failed: Error: Cannot find module vite (at STEP "RUN npm run build && rm -rf node_modules", exit status 1)',
    );
  });

  it("takes the step's last line when none looks like an error", () => {
    const tail = [
      "STEP 2/2: RUN ./check.sh",
      "checking 3 files",
      "2 files too large",
      'error building at STEP "RUN ./check.sh": exit status 2',
    ];
    expect(failureReason(tail)).toBe(
      'The build failed: 2 files too large (at STEP "RUN ./check.sh", exit status 2)',
    );
  });

  it("falls back to buildah's line when the step printed nothing, or its STEP line scrolled away", () => {
    expect(
      failureReason(["STEP 2/2: RUN x", 'error building at STEP "RUN x": exit status 3', "trailing"]),
    ).toBe('The build failed: error building at STEP "RUN x": exit status 3');
    expect(failureReason(["some output", 'Error: building at STEP "RUN y": exit status 1'])).toBe(
      'The build failed: Error: building at STEP "RUN y": exit status 1',
    );
  });

  it("says so when the builder printed nothing, and keeps a reason short", () => {
    expect(failureReason([])).toBe("The build failed: the builder exited without output");
    const long = failureReason([
      "STEP 1/1: RUN z",
      "x".repeat(5000),
      'error building at STEP "RUN z": exit status 1',
    ]);
    expect(long.length).toBeLessThanOrEqual(1000);
    expect(long.endsWith("…")).toBe(true);
  });
});
