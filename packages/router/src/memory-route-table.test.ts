import { describe, expect, it } from "vitest";
import { MemoryRouteTable } from "./memory-route-table.ts";

describe("MemoryRouteTable", () => {
  it("sets, replaces, reads case-insensitively and deletes routes", () => {
    const table = new MemoryRouteTable();
    table.set("Shop", { kind: "upstream", url: "http://127.0.0.1:4000" });
    table.set("shop", { kind: "status", status: "building", message: "building" });
    expect(table.get("SHOP")).toEqual({ kind: "status", status: "building", message: "building" });
    table.delete("shop");
    expect(table.get("shop")).toBeUndefined();
  });

  it.each(["not a url", "https://127.0.0.1:4000", "unix:/tmp/app.sock"])(
    "refuses the upstream URL %s with a stable code",
    (url) => {
      const table = new MemoryRouteTable();
      expect(() => table.set("shop", { kind: "upstream", url })).toThrow(
        expect.objectContaining({ code: "ROUTE_INVALID_URL" }),
      );
      expect(table.get("shop")).toBeUndefined();
    },
  );
});
