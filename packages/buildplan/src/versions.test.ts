import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveVersion, VERSION_TABLE } from "./versions.ts";

describe("resolveVersion", () => {
  it.each([
    ["node", "20.x", "20", false],
    ["node", "^18 || ^20", "20", false],
    ["node", ">=18", "24", true],
    ["node", "lts/*", "24", false],
    ["node", "lts/iron", "20", false],
    ["node", "v20.11.1", "20", false],
    ["node", "*", "24", true],
    ["python", ">=3.10,<3.13", "3.12", false],
    ["python", "3.12.*", "3.12", false],
    ["python", "3.11.9", "3.11", false],
    ["php", "^8.2", "8.4", false],
    ["php", "~8.2.0", "8.2", false],
    ["go", "1.22", "1.22", true],
    ["go", "1.25", "1.25", false],
    ["go", "1.14", "1.24", true],
    ["go", "1.24.3", "1.24", true],
    ["go", "1.99", "1.26", true],
    ["python", "3.6", "3.9", true],
    ["python", "~3.9", "3.9", true],
    ["ruby", "2.7.8", "3.1", true],
    ["java", "8", "11", true],
    ["php", "7.4", "8.2", true],
  ] as const)("%s %s → %s", (runtime, spec, version, warns) => {
    const r = resolveVersion(runtime, spec);
    expect(r.version).toBe(version);
    expect(r.warning !== undefined).toBe(warns);
  });

  it("unreadable, unknown and unsatisfiable specs fall back to the pinned default with a warning", () => {
    expect(resolveVersion("node", "garbage!!")).toMatchObject({ version: "22", warning: expect.any(String) });
    expect(resolveVersion("node", "lts/unknown")).toMatchObject({
      version: "22",
      warning: expect.any(String),
    });
    expect(resolveVersion("node", "^4")).toMatchObject({
      version: "22",
      warning: expect.stringMatching(/no supported/),
    });
  });

  it("never throws and a range always resolves to a table entry", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("node", "python", "php", "ruby", "go") as fc.Arbitrary<"node">,
        fc.string(),
        (rt, spec) => {
          const r = resolveVersion(rt, spec);
          if (!/^\s*v?\d+(\.\d+){0,2}\s*$/.test(spec)) {
            expect([...VERSION_TABLE[rt].versions, VERSION_TABLE[rt].default]).toContain(r.version);
          }
        },
      ),
    );
  });
});
