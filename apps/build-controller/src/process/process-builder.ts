import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { BuildInput, BuildOutput, ImageBuild } from "../builder.ts";
import { BuildError } from "../errors.ts";
import { runCommand } from "../run-command.ts";

/** What the process runtime reads to start a release built by the process builder. */
export interface ProcessRelease {
  readonly start: string;
  readonly env: Readonly<Record<string, string>>;
}

export const PROCESS_IMAGE_PREFIX = "process:";
export const PROCESS_RELEASE_FILE = ".kli8nt-release.json";

/**
 * Fallback when buildah is absent: runs the plan's install and build commands in a copy of the tree on the
 * host, without isolation (the app's commands run as the platform's user), and keeps the result as the
 * release directory. The image it reports is `process:<release dir>`.
 */
export function processImageBuild(options: {
  releasesDir: string;
  env?: Readonly<Record<string, string>>;
}): ImageBuild {
  return {
    kind: "process",
    isolated: false,
    async build(input: BuildInput): Promise<BuildOutput> {
      const { plan } = input;
      if (plan.provider === "dockerfile" || plan.start === null) {
        throw new BuildError(
          "BUILD_UNSUPPORTED",
          "This repository needs a container builder (a Dockerfile or no start command); install buildah",
        );
      }
      input.onLine(
        "stderr",
        "warning: building without isolation (process builder: buildah is not installed)",
      );
      const deadline = Date.now() + input.timeoutMs;
      const tools = await toolsEnv(input.scratchDir);
      for (const command of [...plan.install, ...plan.build]) {
        await runStep(command, input, deadline, { ...options.env, ...plan.env, ...tools });
      }
      const dir = join(options.releasesDir, input.deploymentId);
      await rm(dir, { recursive: true, force: true });
      await mkdir(options.releasesDir, { recursive: true });
      await cp(input.contextDir, dir, { recursive: true });
      const release: ProcessRelease = { start: plan.start, env: plan.env };
      await writeFile(join(dir, PROCESS_RELEASE_FILE), JSON.stringify(release));
      return { image: `${PROCESS_IMAGE_PREFIX}${dir}` };
    },
  };
}

/**
 * The plan installs pnpm/Yarn with `npm install -g` (or corepack into npm's global prefix) because no base
 * image can be assumed to have them; on the host that prefix points at the build's scratch directory, so a
 * machine with Node alone builds them and nothing is written outside the build.
 */
async function toolsEnv(scratchDir: string): Promise<Record<string, string>> {
  const prefix = join(scratchDir, "pm-tools");
  await mkdir(join(prefix, "bin"), { recursive: true });
  // biome-ignore lint/style/noProcessEnv: the child's PATH extends the platform's own
  const path = process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
  // npm finds its global npmrc (registry, cafile) under the prefix: keep the one of the platform's own npm.
  const globalconfig =
    // biome-ignore lint/style/noProcessEnv: an operator's explicit npm setting wins
    process.env.NPM_CONFIG_GLOBALCONFIG ?? join(dirname(dirname(process.execPath)), "etc", "npmrc");
  return {
    NPM_CONFIG_PREFIX: prefix,
    NPM_CONFIG_GLOBALCONFIG: globalconfig,
    PATH: `${join(prefix, "bin")}:${path}`,
  };
}

async function runStep(
  command: string,
  input: BuildInput,
  deadline: number,
  env: Readonly<Record<string, string>>,
): Promise<void> {
  input.onLine("stdout", `$ ${command}`);
  // An absolute shell: spawn looks a bare name up in the child's PATH, which the repository may set.
  const result = await runCommand("/bin/sh", ["-c", command], {
    cwd: input.contextDir,
    env,
    timeoutMs: Math.max(1, deadline - Date.now()),
    onLine: input.onLine,
  });
  if (result.timedOut) {
    throw new BuildError(
      "BUILD_TIMEOUT",
      `The build took longer than ${Math.round(input.timeoutMs / 1000)} s and was stopped`,
    );
  }
  if (result.code !== 0) {
    throw new BuildError(
      "BUILD_FAILED",
      `The build failed: \`${command}\` exited with ${String(result.code)}: ${result.tail.at(-1) ?? ""}`,
    );
  }
}
