import { describe, expect, it } from "vitest";
import { appNameSchema, checkRepositoryUrl, envKeySchema, isSafeRefName, rootDirSchema } from "./app-spec.ts";

describe("app names", () => {
  it.each(["a", "my-app", "app1", "x".repeat(40), "0day"])("accepts %s", (name) => {
    expect(appNameSchema.safeParse(name).success).toBe(true);
  });
  it.each(["", "-a", "a-", "My-App", "a_b", "x".repeat(41), "api", "www", "a--b", "é", "a.b"])(
    "rejects %j",
    (name) => {
      expect(appNameSchema.safeParse(name).success).toBe(false);
    },
  );
});

describe("rootDir", () => {
  it.each([
    ["", "."],
    [".", "."],
    ["apps/web/", "apps/web"],
    ["a/../b", "b"],
  ])("normalises %j to %j", (input, out) => {
    expect(rootDirSchema.parse(input)).toBe(out);
  });
  it.each(["..", "../x", "a/../../x", "/etc", "a\\b", "a\0b"])("rejects %j", (input) => {
    expect(rootDirSchema.safeParse(input).success).toBe(false);
  });
});

describe("repository URLs", () => {
  const remoteOnly = { allowLocal: false };
  it("accepts https and http git URLs", () => {
    expect(checkRepositoryUrl("https://github.com/acme/shop", remoteOnly)).toBeNull();
    expect(checkRepositoryUrl("http://127.0.0.1:9000/acme/shop.git", remoteOnly)).toBeNull();
  });
  it.each([
    ["ssh://git@github.com/a/b", /scheme "ssh"/],
    ["https://user:tok@github.com/a/b", /credentials/],
    ["https://github.com/a", /owner and a repository/],
    ["not a url", /http\(s\) git URL/],
    ["/srv/repo", /local repositories are disabled/],
    ["file:///srv/repo", /local repositories are disabled/],
  ])("rejects %s", (url, why) => {
    expect(checkRepositoryUrl(url, remoteOnly)).toMatch(why);
  });
  it("accepts local paths only with the opt-in", () => {
    expect(checkRepositoryUrl("/srv/repo", { allowLocal: true })).toBeNull();
  });
});

describe("refs and env keys", () => {
  it("accepts ordinary branches and rejects git-illegal ones", () => {
    expect(isSafeRefName("feature/login")).toBe(true);
    for (const bad of ["-x", "a..b", "a b", "a~1", "x.lock", "a@{1}", "/a"])
      expect(isSafeRefName(bad)).toBe(false);
  });
  it("keeps PORT for the platform", () => {
    expect(envKeySchema.safeParse("DATABASE_URL").success).toBe(true);
    expect(envKeySchema.safeParse("PORT").success).toBe(false);
    expect(envKeySchema.safeParse("1A").success).toBe(false);
  });
});
