import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./ui-server.ts";

// The root tsconfig leaves apps/web out (DOM and JSX settings differ), so its own check runs here.
describe("apps/web", () => {
  it("type-checks with its own tsconfig", () => {
    const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
    let output = "";
    try {
      execFileSync(tsc, ["-p", "apps/web/tsconfig.json"], { cwd: ROOT, stdio: "pipe" });
    } catch (error) {
      output = String((error as { stdout?: Buffer }).stdout ?? error);
    }
    expect(output).toBe("");
  });
});
