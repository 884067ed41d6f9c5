import { realpath, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import {
  type BuildPlan,
  detect,
  detectOptionsFromSettings,
  type RegistryConfig,
  render,
} from "@kli8nt/buildplan";
import type { BuildSettings } from "@kli8nt/core";
import { BuildError } from "./errors.ts";
import { resolveInRepo } from "./repo-path.ts";

export interface PreparedBuild {
  readonly contextDir: string;
  readonly dockerfile: string;
  readonly plan: BuildPlan;
}

/**
 * Detects the plan in the app's root directory and renders its Dockerfile next to (not inside) the context.
 * A repository Dockerfile wins: it is used unchanged. `registry` settings become ARG defaults of the
 * rendered Dockerfile (for the Kaniko Job; the buildah builder passes them as --build-arg instead).
 */
export async function prepareBuild(
  checkout: string,
  scratch: string,
  rootDir: string,
  baseImages: Readonly<Record<string, string>>,
  registry?: RegistryConfig,
  settings: BuildSettings = {},
): Promise<PreparedBuild> {
  const lexical = resolve(checkout, rootDir || ".");
  if (lexical !== checkout && !lexical.startsWith(checkout + sep)) {
    throw new BuildError("BUILD_FAILED", `The root directory "${rootDir}" is outside the repository`);
  }
  // Every path the build uses is the real one, checked against the real checkout (ADR 0137).
  const checkoutReal = await realpath(checkout);
  const contextDir = await resolveInRepo(checkoutReal, lexical, `The root directory "${rootDir || "."}"`);
  if (!(await stat(contextDir)).isDirectory()) {
    throw new BuildError("BUILD_FAILED", `The root directory "${rootDir}" is not a directory`);
  }
  let plan: BuildPlan;
  try {
    plan = await detect(contextDir, detectOptionsFromSettings(settings));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A start command the image could not run (ADR 0152) is detected fine; say so with its own code.
    const code =
      (error as { code?: unknown }).code === "START_UNRUNNABLE" ? "BUILD_UNSUPPORTED" : "STACK_UNDETECTED";
    throw new BuildError(code, message, { cause: error });
  }
  if (plan.provider === "dockerfile") {
    // The file detection chose: Dockerfile, Containerfile or the path the app's settings give.
    const name = plan.manifests[0] ?? "Dockerfile";
    const dockerfile = await resolveInRepo(checkoutReal, join(contextDir, name), `The ${name}`);
    return { contextDir, dockerfile, plan };
  }
  const rendered = render(plan, registry ? { baseImages, registry } : { baseImages });
  const dockerfile = join(scratch, "Dockerfile");
  await writeFile(dockerfile, rendered.dockerfile);
  if (rendered.dockerignore !== null) await writeDockerignore(contextDir, rendered.dockerignore);
  return { contextDir, dockerfile, plan };
}

/**
 * Replaces the context's .dockerignore without following a symlink the repository put there: the old entry
 * is unlinked, and O_EXCL refuses to write through anything that reappears in between.
 */
async function writeDockerignore(contextDir: string, text: string): Promise<void> {
  const path = join(contextDir, ".dockerignore");
  try {
    await rm(path, { force: true });
    await writeFile(path, text, { flag: "wx" });
  } catch (error) {
    throw new BuildError("BUILD_FAILED", "The repository's .dockerignore could not be replaced", {
      cause: error,
    });
  }
}
