import { exec } from "../exec.ts";

/**
 * Removes a deleted app's images: every tag `<prefix>/<app>:<deploymentId>` the builder made (ADR 0060).
 * `podman rmi` also removes the untagged parent layers only they kept (the app's share of the layer cache);
 * an image another app's tag still names is only untagged. No `image prune`: it would race other builds.
 * Tags are matched exactly here: podman's `reference` filter also returns every other tag of a matching
 * image id, and identical builds of two apps share one id.
 */
export async function removeAppImages(
  hostEnv: Readonly<Record<string, string>>,
  imagePrefix: string,
  appName: string,
): Promise<string[]> {
  const env = { ...hostEnv };
  const repository = `${imagePrefix}/${appName.toLowerCase()}`;
  // The reference filter keeps podman from formatting every image of the store (seconds with hundreds of
  // cached build layers); the exact prefix match below still decides, since it may list other tags of an id.
  const listed = await exec(
    "podman",
    ["images", "--filter", `reference=${repository}`, "--format", "{{.Repository}}:{{.Tag}}"],
    { env },
  );
  const tags = listed.stdout
    .split("\n")
    .map((t) => t.trim())
    .filter((t) => t.startsWith(`${repository}:`));
  if (tags.length > 0) await exec("podman", ["rmi", ...tags], { env });
  return tags;
}
