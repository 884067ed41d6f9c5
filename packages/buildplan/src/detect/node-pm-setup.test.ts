import { describe, expect, it } from "vitest";
import { packageManagerSetup } from "./node-pm-setup.ts";

describe("packageManagerSetup", () => {
  it("corepack first, npm from the configured registry otherwise; npm and bun need nothing", () => {
    expect(packageManagerSetup("yarn1", null)).toBe(
      '(command -v corepack >/dev/null 2>&1 && corepack install -g yarn@1 && corepack enable --install-directory "$(npm prefix -g)/bin" yarn) || npm install -g yarn@1',
    );
    expect(packageManagerSetup("yarn-berry", "4.5.0")).toContain("npm install -g @yarnpkg/cli-dist@4.5.0");
    expect(packageManagerSetup("npm", null)).toBeNull();
    expect(packageManagerSetup("bun", null)).toBeNull();
  });

  it("a version that is not plain digits never reaches the shell", () => {
    expect(packageManagerSetup("pnpm", "9; rm -rf /")).toMatch(/pnpm@9\)? .*pnpm@9$/);
    expect(packageManagerSetup("pnpm", "$(id)")).not.toContain("$(id)");
  });
});
