import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createTokenSealer } from "./token-sealer.ts";

describe("createTokenSealer", () => {
  const key = randomBytes(32).toString("base64");
  const token = "gho_0123456789abcdefghijklmnopqrstuvwxyz";

  it("round-trips, never stores the token in clear, and uses a fresh IV each time", () => {
    const sealer = createTokenSealer(key);
    const a = sealer.seal(token, "user-1");
    const b = sealer.seal(token, "user-1");
    expect(a).not.toContain(token);
    expect(a).not.toBe(b);
    expect(sealer.open(a, "user-1")).toBe(token);
  });

  it("refuses a truncated authentication tag, which GCM alone would accept (tag length pinned to 16)", () => {
    const sealer = createTokenSealer(key);
    const parts = sealer.seal(token, "user-1").split(".");
    // The first 4 bytes of a valid tag are a valid 4-byte GCM tag: only the pinned length refuses it.
    const short = Buffer.from(parts[2] ?? "", "base64url")
      .subarray(0, 4)
      .toString("base64url");
    const truncated = [parts[0], parts[1], short, parts[3]].join(".");
    expect(() => sealer.open(truncated, "user-1")).toThrow(
      expect.objectContaining({ code: "GITHUB_TOKEN_UNREADABLE" }),
    );
  });

  it("refuses another owner, another key, a tampered ciphertext and a bad key size", () => {
    const sealer = createTokenSealer(key);
    const sealed = sealer.seal(token, "user-1");
    expect(() => sealer.open(sealed, "user-2")).toThrow(
      expect.objectContaining({ code: "GITHUB_TOKEN_UNREADABLE" }),
    );
    expect(() => createTokenSealer(randomBytes(32)).open(sealed, "user-1")).toThrow(/authentication/);
    const parts = sealed.split(".");
    const ct = Buffer.from(parts[3] ?? "", "base64url");
    ct[0] = (ct[0] ?? 0) ^ 1;
    const tampered = [parts[0], parts[1], parts[2], ct.toString("base64url")].join(".");
    expect(() => sealer.open(tampered, "user-1")).toThrow(/authentication/);
    expect(() => sealer.open("garbage", "user-1")).toThrow(/not a sealed token/);
    expect(() => createTokenSealer(randomBytes(16))).toThrow(/32 bytes/);
  });
});
