import { appNameSchema, checkRepositoryUrl, envKeySchema, RESERVED_APP_NAMES } from "@kli8nt/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  appNameProblem,
  envKeyProblem,
  repositoryUrlProblem,
  suggestAppName,
} from "../../apps/web/src/validation.ts";

// The form answers as you type with its own copy of the api's rules; these properties keep both in step.
const nameLike = fc.oneof(
  fc.stringMatching(/^[a-z0-9-]{0,45}$/),
  fc.constantFrom(...RESERVED_APP_NAMES, "a--b", "-a", "a-", "", "A", "shop_1"),
  fc.string({ maxLength: 45 }),
);

describe("the UI's input rules agree with the api's", () => {
  it("accepts exactly the app names the api accepts, with the same message", () => {
    fc.assert(
      fc.property(nameLike, (name) => {
        const api = appNameSchema.safeParse(name);
        const ui = appNameProblem(name);
        expect(ui === null, name).toBe(api.success);
        if (!api.success) expect(ui).toBe(api.error.issues[0]?.message);
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts exactly the env var names the api accepts", () => {
    const keyLike = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_]{0,130}$/),
      fc.constantFrom("PORT", "KLI8NT_APP", "KLI8NT_DEPLOYMENT", "1A", "_", "A-B"),
    );
    fc.assert(
      fc.property(keyLike, (key) => {
        expect(envKeyProblem(key) === null, key).toBe(envKeySchema.safeParse(key).success);
      }),
      { numRuns: 2000 },
    );
  });

  it("judges http(s) repository URLs as the api does", () => {
    const urlLike = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.constantFrom(
        "https://user:pw@github.com/a/b",
        "ftp://github.com/a/b",
        "https://github.com/a",
        "nope",
      ),
    );
    fc.assert(
      fc.property(urlLike, (url) => {
        expect(repositoryUrlProblem(url), url).toBe(checkRepositoryUrl(url, { allowLocal: true }));
      }),
      { numRuns: 300 },
    );
  });

  it("suggests names from repositories that the api accepts (or none)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (repo) => {
        const name = suggestAppName(`https://github.com/acme/${repo}`);
        if (name !== "" && !RESERVED_APP_NAMES.has(name))
          expect(appNameSchema.safeParse(name).success, name).toBe(true);
      }),
    );
    expect(suggestAppName("https://github.com/acme/My_Shop.git")).toBe("my-shop");
  });
});
