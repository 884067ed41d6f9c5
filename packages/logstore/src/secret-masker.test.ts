import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSecretMasker } from "./secret-masker.ts";

describe("createSecretMasker", () => {
  it("replaces every occurrence of every value", () => {
    const mask = createSecretMasker(["hunter22", "tok_abcdef"]);
    expect(mask("a hunter22 b tok_abcdef c hunter22")).toBe("a **** b **** c ****");
  });

  it("masks the longest value when one contains another", () => {
    const mask = createSecretMasker(["abcd", "abcdefgh"]);
    expect(mask("x abcdefgh y abcd")).toBe("x **** y ****");
  });

  it("masks overlapping values as one span, leaving no fragment", () => {
    const mask = createSecretMasker(["abcdef", "defghi"]);
    expect(mask("--abcdefghi--")).toBe("--****--");
    expect(createSecretMasker(["aaaa"])("aaaaaa!")).toBe("****!");
  });

  it("ignores values shorter than 4 characters and lines without secrets", () => {
    const mask = createSecretMasker(["abc", "", "1"]);
    expect(mask("abc 1 2 3")).toBe("abc 1 2 3");
    expect(createSecretMasker([])("anything")).toBe("anything");
  });

  it("never lets a secret through, whatever the line (property)", () => {
    // Secrets without "*", so the mask itself can never spell one.
    const secret = fc.stringMatching(/^[a-z0-9]{4,12}$/);
    fc.assert(
      fc.property(
        fc.array(secret, { minLength: 1, maxLength: 4 }),
        fc.array(fc.string(), { maxLength: 6 }),
        (secrets, parts) => {
          const line = parts.map((p, i) => p + (secrets[i % secrets.length] as string)).join("");
          const masked = createSecretMasker(secrets)(line);
          for (const s of secrets) {
            expect(masked.includes(s)).toBe(false);
          }
        },
      ),
    );
  });
});
