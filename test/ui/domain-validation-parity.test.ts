import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normaliseHostname } from "../../apps/api/src/domains/hostname.ts";
import { hostnameProblem } from "../../apps/web/src/domain-validation.ts";

// The Domains form checks a hostname before sending it; for ASCII input it must refuse exactly what the
// api refuses (unicode names are the api's alone: it converts them to punycode).
const accepts = (input: string) => {
  try {
    normaliseHostname(input);
    return true;
  } catch {
    return false;
  }
};

const label = fc.stringMatching(/^[a-zA-Z0-9-]{0,64}$/);
const hostLike = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join(".")),
  fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => `*.${l.join(".")}`),
  fc.constantFrom(
    "www.example.com",
    "www.example.com.",
    "https://www.example.com/",
    "example",
    "a..b",
    "a.*.b",
    "1.2.3.4",
    " www.example.com ",
    `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`,
    `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`,
  ),
  fc.stringMatching(/^[\x21-\x7e ]{0,40}$/),
);

describe("the Domains form's hostname check agrees with the api's", () => {
  it("accepts exactly the ASCII hostnames the api accepts", () => {
    fc.assert(
      fc.property(hostLike, (input) => {
        expect(hostnameProblem(input) === null, JSON.stringify(input)).toBe(accepts(input));
      }),
      { numRuns: 3000 },
    );
  });
});
