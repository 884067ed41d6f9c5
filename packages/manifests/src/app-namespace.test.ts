import { describe, expect, it } from "vitest";
import { appNamespace } from "./app-namespace.ts";
import { isDns1123Label } from "./names.ts";

describe("appNamespace", () => {
  it("is the prefix and the name while that fits in 63 characters", () => {
    expect(appNamespace("kli8nt-app-", "shop-pr-12")).toBe("kli8nt-app-shop-pr-12");
    const longest = `${"a".repeat(40)}-pr-12345678`;
    expect(appNamespace("kli8nt-app-", longest)).toBe(`kli8nt-app-${longest}`);
    expect(appNamespace("kli8nt-app-", longest)).toHaveLength(63);
  });

  it("cuts a longer one and tells names apart by a hash, keeping the prefix the admission policy tests", () => {
    const a = appNamespace("kli8nt-app-", `${"a".repeat(40)}-pr-123456789`);
    const b = appNamespace("kli8nt-app-", `${"a".repeat(40)}-pr-123456788`);
    for (const ns of [a, b]) {
      expect(ns.length).toBeLessThanOrEqual(63);
      expect(isDns1123Label(ns)).toBe(true);
      expect(ns.startsWith("kli8nt-app-aaaa")).toBe(true);
    }
    expect(a).not.toBe(b);
    expect(appNamespace("kli8nt-app-", `${"a".repeat(40)}-pr-123456789`)).toBe(a);
    // A name cut right before a hyphen does not leave two in a row.
    expect(appNamespace("p-", `${"b".repeat(51)}-${"c".repeat(20)}`)).toMatch(/^p-b{51}-[0-9a-f]{8}$/);
  });
});
