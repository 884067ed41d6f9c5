import { createHash, randomBytes } from "node:crypto";
import { failUnderCi } from "@kli8nt/testkit";
import { describe, expect, it } from "vitest";
import { registryImages } from "./registry-images.ts";

// The app's images and layer cache deleted from the test registry of scripts/infra/registry.sh
// (distribution 2.8, delete enabled, plain HTTP), as an app delete on Kubernetes does.
const registry = process.env.KLI8NT_TEST_REGISTRY;
const missing = failUnderCi(
  !registry,
  "KLI8NT_TEST_REGISTRY is not set: start_registry (scripts/infra/registry.sh) did not run",
);

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Pushes a one-blob OCI image (its config; no layer) under `tags`, over the registry's HTTP API. */
async function push(repository: string, tags: readonly string[]): Promise<void> {
  const base = `http://${registry}/v2/${repository}`;
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", nonce: randomBytes(8) }));
  const started = await fetch(`${base}/blobs/uploads/`, { method: "POST" });
  const location = new URL(started.headers.get("location") ?? "", base);
  location.searchParams.set("digest", sha(config));
  const put = await fetch(location, { method: "PUT", body: config });
  expect(put.status).toBe(201);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: sha(config),
      size: config.length,
    },
    layers: [],
  });
  for (const tag of tags) {
    const res = await fetch(`${base}/manifests/${tag}`, {
      method: "PUT",
      headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" },
      body: manifest,
    });
    expect(res.status).toBe(201);
  }
}

const status = async (repository: string, tag: string) =>
  (
    await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
      method: "HEAD",
      headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
    })
  ).status;

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
