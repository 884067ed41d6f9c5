import { UnavailableError } from "@kli8nt/core";
import type { AppResidue } from "./kubernetes-deployer.ts";
import { challengeAuthorization, type RegistryCredentials } from "./registry-auth.ts";

/** Every manifest kind a build pushes (Kaniko: Docker v2 or OCI, image or index; cache layers: the same). */
const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

export interface RegistryImagesOptions {
  /** `host[:port][/path]`, as builds push to (`<registry>/<app>` and `<registry>/<app>/cache`). */
  readonly registry: string;
  /** Plain HTTP (a loopback or in-cluster registry without TLS). */
  readonly insecure?: boolean;
  /** An `Authorization` value for a repository (a registry token with delete rights); none: anonymous. */
  readonly authorization?: (repository: string) => Promise<string | undefined>;
  /** A registry account with delete rights: a 401's Basic or Bearer challenge is answered with it. */
  readonly credentials?: RegistryCredentials | undefined;
  readonly fetch?: typeof fetch;
}

/**
 * The app's images and its Kaniko layer cache in the registry: every tag's manifest is deleted by digest
 * (the registry API deletes nothing by tag); the registry's garbage collection frees the blobs.
 */
export function registryImages(options: RegistryImagesOptions): AppResidue {
  const slash = options.registry.indexOf("/");
  const host = slash < 0 ? options.registry : options.registry.slice(0, slash);
  const prefix = slash < 0 ? "" : `${options.registry.slice(slash + 1)}/`;
  const base = `${options.insecure ? "http" : "https"}://${host}/v2/`;
  const doFetch = options.fetch ?? fetch;
  const challenge = options.credentials ? challengeAuthorization(options.credentials, doFetch) : undefined;
  const call = async (repository: string, path: string, init: RequestInit = {}) => {
    const send = (auth: string | undefined) =>
      doFetch(`${base}${repository}/${path}`, {
        ...init,
        headers: { Accept: MANIFEST_TYPES, ...(auth ? { Authorization: auth } : {}) },
      });
    const first = await send((await options.authorization?.(repository)) ?? challenge?.cached(repository));
    if (first.status !== 401 || !challenge) return first;
    return send(await challenge.answer(repository, first.headers.get("www-authenticate")));
  };
  return {
    what: "registry images and build cache",
    async remove(appName) {
      // The cache first: it is named under the app's repository.
      for (const repository of [`${prefix}${appName}/cache`, `${prefix}${appName}`]) {
        await removeRepository(repository, call);
      }
    },
  };
}

type Call = (repository: string, path: string, init?: RequestInit) => Promise<Response>;

async function removeRepository(repository: string, call: Call): Promise<void> {
  const listed = await call(repository, "tags/list");
  if (listed.status === 404) return;
  await expectOk(listed, `listing the tags of ${repository}`);
  const tags = ((await listed.json()) as { tags?: string[] | null }).tags ?? [];
  const digests = new Set<string>();
  for (const tag of tags) {
    const head = await call(repository, `manifests/${encodeURIComponent(tag)}`, { method: "HEAD" });
    if (head.status === 404) continue;
    await expectOk(head, `reading ${repository}:${tag}`);
    const digest = head.headers.get("docker-content-digest");
    if (digest) digests.add(digest);
  }
  for (const digest of digests) {
    const deleted = await call(repository, `manifests/${digest}`, { method: "DELETE" });
    if (deleted.status !== 404) await expectOk(deleted, `deleting ${repository}@${digest}`);
  }
}

async function expectOk(response: Response, what: string): Promise<void> {
  if (response.ok) return;
  const body = (await response.text().catch(() => "")).slice(0, 300);
  throw new UnavailableError("REGISTRY_REQUEST_FAILED", `${what} failed: HTTP ${response.status} ${body}`, {
    details: { status: response.status },
  });
}
