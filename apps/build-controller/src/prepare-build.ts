import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { type BuildPlan, detect, type RegistryConfig, render } from "@kli8nt/buildplan";
import { BuildError } from "./errors.ts";

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
): Promise<PreparedBuild> {
  const contextDir = resolve(checkout, rootDir || ".");
  if (contextDir !== checkout && !contextDir.startsWith(checkout + sep)) {
    throw new BuildError("BUILD_FAILED", `The root directory "${rootDir}" is outside the repository`);
  }
  if (!existsSync(contextDir)) {
    throw new BuildError("BUILD_FAILED", `The root directory "${rootDir}" does not exist in the repository`);
  }
  let plan: BuildPlan;
  try {
    plan = await detect(contextDir);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new BuildError("STACK_UNDETECTED", message, { cause: error });
  }
  if (plan.provider === "dockerfile") return { contextDir, dockerfile: join(contextDir, "Dockerfile"), plan };
  const rendered = render(plan, registry ? { baseImages, registry } : { baseImages });
  const dockerfile = join(scratch, "Dockerfile");
  await writeFile(dockerfile, rendered.dockerfile);
  if (rendered.dockerignore !== null)
    await writeFile(join(contextDir, ".dockerignore"), rendered.dockerignore);
  return { contextDir, dockerfile, plan };
}
