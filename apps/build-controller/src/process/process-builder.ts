import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Builder, BuildInput, BuildOutput } from "../builder.ts";
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
export function processBuilder(options: {
  releasesDir: string;
  env?: Readonly<Record<string, string>>;
}): Builder {
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
      for (const command of [...plan.install, ...plan.build]) {
        await runStep(command, input, deadline, { ...options.env, ...plan.env });
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
