import { realpath } from "node:fs/promises";
import { isAbsolute, relative, sep } from "node:path";
import { BuildError } from "./errors.ts";

/** True when `path` is `root` or below it (both already resolved). */
export function isInside(root: string, path: string): boolean {
  const back = relative(root, path);
  return !(back === ".." || back.startsWith(`..${sep}`) || isAbsolute(back));
}

/**
 * Resolves a path taken from a repository (rootDir, Dockerfile, …) with every symlink followed, and fails
 * the build when it leads outside the checkout: a repository may hold a symlink to any host path, and the
 * build would otherwise read (or write) there. `what` names the path in the user's terms.
 */
export async function resolveInRepo(checkoutReal: string, path: string, what: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    throw new BuildError("BUILD_FAILED", `${what} does not exist in the repository`, { cause: error });
  }
  if (!isInside(checkoutReal, real)) {
    throw new BuildError(
      "BUILD_FAILED",
      `${what} is a symlink that leads outside the repository; Kli8nt builds only files inside the checkout`,
    );
  }
  return real;
}
