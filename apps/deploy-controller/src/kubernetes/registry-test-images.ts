import { createHash, randomBytes } from "node:crypto";

// Test helpers: images pushed to and looked up in a distribution registry over its HTTP API.

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

/** Pushes a one-blob OCI image (its config; no layer) under `tags`; `auth` is an Authorization value. */
export async function pushTestImage(
  registryBase: string,
  repository: string,
  tags: readonly string[],
  auth?: string,
): Promise<void> {
  const base = `${registryBase}/v2/${repository}`;
  const headers = auth ? { Authorization: auth } : {};
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", nonce: randomBytes(8) }));
  const started = await fetch(`${base}/blobs/uploads/`, { method: "POST", headers });
  if (started.status !== 202) throw new Error(`upload of ${repository}: HTTP ${started.status}`);
  const location = new URL(started.headers.get("location") ?? "", base);
  location.searchParams.set("digest", sha(config));
  const put = await fetch(location, { method: "PUT", body: config, headers });
  if (put.status !== 201) throw new Error(`blob of ${repository}: HTTP ${put.status}`);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
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
      headers: { ...headers, "Content-Type": OCI_MANIFEST },
      body: manifest,
    });
    if (res.status !== 201) throw new Error(`manifest ${repository}:${tag}: HTTP ${res.status}`);
  }
}

/** The HTTP status of a tag's manifest: 200 while it exists, 404 once deleted. */
export async function tagStatus(registryBase: string, repository: string, tag: string, auth?: string) {
  const res = await fetch(`${registryBase}/v2/${repository}/manifests/${tag}`, {
    method: "HEAD",
    headers: { Accept: OCI_MANIFEST, ...(auth ? { Authorization: auth } : {}) },
  });
  return res.status;
}
