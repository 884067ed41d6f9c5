import { randomBytes } from "node:crypto";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SecretBox } from "./secret-box.ts";
import { loadSecretKey } from "./secret-key.ts";

describe("secrets at rest", () => {
  const box = new SecretBox(randomBytes(32));

  it("round-trips and never repeats a ciphertext", () => {
    const a = box.encrypt("hunter2", "env:app_1:PW");
    expect(a).not.toContain("hunter2");
    expect(box.encrypt("hunter2", "env:app_1:PW")).not.toBe(a);
    expect(box.decrypt(a, "env:app_1:PW")).toBe("hunter2");
  });

  it("refuses a ciphertext moved to another row, a tampered one, or another key", () => {
    const sealed = box.encrypt("hunter2", "env:app_1:PW");
    expect(() => box.decrypt(sealed, "env:app_2:PW")).toThrowError(
      expect.objectContaining({ code: "SECRET_DECRYPT_FAILED" }),
    );
    const parts = sealed.split(".");
    parts[3] = Buffer.from("x").toString("base64url");
    expect(() => box.decrypt(parts.join("."), "env:app_1:PW")).toThrow();
    expect(() => new SecretBox(randomBytes(32)).decrypt(sealed, "env:app_1:PW")).toThrow();
  });

  it("refuses a truncated authentication tag, which GCM alone would accept (tag length pinned to 16)", () => {
    const parts = box.encrypt("hunter2", "env:app_1:PW").split(".");
    // The first 4 bytes of a valid tag are a valid 4-byte GCM tag: only the pinned length refuses it.
    parts[2] = Buffer.from(parts[2] ?? "", "base64url")
      .subarray(0, 4)
      .toString("base64url");
    expect(() => box.decrypt(parts.join("."), "env:app_1:PW")).toThrow();
  });

  it("generates the key file once with mode 0600, or takes it from configuration", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kli8nt-key-"));
    const first = loadSecretKey(undefined, dir);
    expect(loadSecretKey(undefined, dir).equals(first)).toBe(true);
    expect(statSync(path.join(dir, "secret.key")).mode & 0o777).toBe(0o600);
    const hex = randomBytes(32).toString("hex");
    expect(loadSecretKey(hex, dir).toString("hex")).toBe(hex);
    expect(() => loadSecretKey("too-short", dir)).toThrowError(
      expect.objectContaining({ code: "SECRET_KEY_INVALID" }),
    );
  });
});
