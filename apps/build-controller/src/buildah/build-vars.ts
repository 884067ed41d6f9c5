import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BuildInput } from "../builder.ts";

/**
 * buildah arguments for the app's build-time variables (ADR 0157): plain ones as `--build-arg` (a
 * Dockerfile reads them with ARG), secret ones as `--secret id=KEY,src=<file>` from a 0600 file in the
 * scratch directory, outside the context; `RUN --mount=type=secret,id=KEY` reads them and no layer keeps
 * them. Secret values never reach argv.
 */
export async function buildVarArgs(input: BuildInput): Promise<string[]> {
  const args = Object.entries(input.buildArgs ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
  const secrets = Object.entries(input.buildSecrets ?? {});
  if (secrets.length === 0) return args;
  const dir = join(input.scratchDir, "build-secrets");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [key, value] of secrets) {
    const file = join(dir, key);
    await writeFile(file, value, { mode: 0o600, flag: "wx" });
    args.push("--secret", `id=${key},src=${file}`);
  }
  return args;
}
