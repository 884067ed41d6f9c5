import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchHost } from "./host.ts";

describe("matchHost", () => {
  it.each([
    ["shop.localhost", { kind: "app", app: "shop" }],
    ["Shop.LocalHost:8000", { kind: "app", app: "shop" }],
    ["my-app-2.localhost.", { kind: "app", app: "my-app-2" }],
    ["localhost:8000", { kind: "unknown", host: "localhost" }],
    ["a.b.localhost", { kind: "unknown", host: "a.b.localhost" }],
    ["-bad.localhost", { kind: "unknown", host: "-bad.localhost" }],
    ["example.com", { kind: "unknown", host: "example.com" }],
    ["[::1]:8000", { kind: "unknown", host: "[::1]" }],
  ])("%s", (host, expected) => {
    expect(matchHost(host, "localhost")).toEqual(expected);
  });

  it.each([
    undefined,
    "",
    "a b.localhost",
    "shop.localhost:70000",
    "shop.localhost:",
    "x/y.localhost",
    "a".repeat(300),
  ])("rejects %s as a bad Host", (host) => {
    expect(matchHost(host, "localhost").kind).toBe("bad");
  });

  it("never throws, and only ever names a single DNS label as the app", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (host) => {
        const match = matchHost(host, "apps.example.org");
        if (match.kind === "app") expect(match.app).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
      }),
    );
  });
});
