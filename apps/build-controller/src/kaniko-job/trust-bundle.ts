import { readFile, writeFile } from "node:fs/promises";
import { BuildError } from "../errors.ts";

/** Where Debian and Ubuntu (also Alpine), Fedora and RHEL, openSUSE, and others keep the system's CA bundle. */
export const SYSTEM_CA_BUNDLES: readonly string[] = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

/**
 * git (through curl) takes one CA file, and it replaces the system's instead of adding to it. This
 * writes the system bundle followed by the extra CA into `dest`, so that a clone trusts both the public
 * CAs (github.com) and the organisation's (a GitHub Enterprise or Gitea behind an internal CA).
 */
export async function writeTrustBundle(
  extraCaFile: string,
  dest: string,
  systemBundles: readonly string[] = SYSTEM_CA_BUNDLES,
): Promise<string> {
  const extra = await readFile(extraCaFile, "utf8").catch((cause: unknown) => {
    throw new BuildError("REPO_CLONE_FAILED", `The build CA bundle ${extraCaFile} cannot be read`, { cause });
  });
  if (!extra.includes("-----BEGIN CERTIFICATE-----")) {
    throw new BuildError("REPO_CLONE_FAILED", `The build CA bundle ${extraCaFile} holds no PEM certificate`);
  }
  let system = "";
  for (const file of systemBundles) {
    system = await readFile(file, "utf8").catch(() => "");
    if (system !== "") break;
  }
  await writeFile(dest, `${system.trimEnd()}\n${extra.trim()}\n`, { mode: 0o444 });
  return dest;
}
