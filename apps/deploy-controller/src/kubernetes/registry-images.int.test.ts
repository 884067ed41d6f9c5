import { randomBytes } from "node:crypto";
import { failUnderCi } from "@kli8nt/testkit";
import { describe, expect, it } from "vitest";
import { registryImages } from "./registry-images.ts";
import { pushTestImage, tagStatus } from "./registry-test-images.ts";

// The app's images and layer cache deleted from the test registry of scripts/infra/registry.sh
// (distribution 2.8, delete enabled, plain HTTP), as an app delete on Kubernetes does.
const registry = process.env.KLI8NT_TEST_REGISTRY;
const missing = failUnderCi(
  !registry,
  "KLI8NT_TEST_REGISTRY is not set: start_registry (scripts/infra/registry.sh) did not run",
);

const base = `http://${registry}`;
const push = (repository: string, tags: readonly string[]) => pushTestImage(base, repository, tags);
const status = (repository: string, tag: string) => tagStatus(base, repository, tag);

describe.skipIf(missing)("registryImages: an app's images and build cache deleted by digest", () => {
  it("deletes every tag of the app and its cache, keeps other apps', and is idempotent", async () => {
    const prefix = `t${randomBytes(3).toString("hex")}`;
    await push(`${prefix}/shop`, ["dep-1", "dep-2"]);
    await push(`${prefix}/shop`, ["dep-3"]);
    await push(`${prefix}/shop/cache`, ["c0ffee"]);
    await push(`${prefix}/shopper`, ["dep-9"]);
    const residue = registryImages({ registry: `${registry}/${prefix}`, insecure: true });

    expect(await status(`${prefix}/shop`, "dep-1")).toBe(200);
    await residue.remove("shop");
    for (const tag of ["dep-1", "dep-2", "dep-3"]) expect(await status(`${prefix}/shop`, tag)).toBe(404);
    expect(await status(`${prefix}/shop/cache`, "c0ffee")).toBe(404);
    expect(await status(`${prefix}/shopper`, "dep-9")).toBe(200);

    await residue.remove("shop");
    await residue.remove("never-pushed");
  });
});
