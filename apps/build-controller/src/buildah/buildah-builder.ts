import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { BUILD_CA_PATH, type RegistryConfig, registryBuildArgs } from "@kli8nt/buildplan";
import type { BuildInput, BuildOutput, ImageBuild } from "../builder.ts";
import { BuildError } from "../errors.ts";
import { runCommand } from "../run-command.ts";
import { buildVarArgs } from "./build-vars.ts";
import { failureReason } from "./failure-reason.ts";

export interface BuildahOptions {
  /** Package registries reachable from RUN steps (locations only, never credentials). */
  readonly registry: Omit<RegistryConfig, "caFile">;
  /** Host CA bundle mounted read-only at BUILD_CA_PATH, for networks that re-sign TLS. */
  readonly caFile?: string | undefined;
  /** Memory limit per build (buildah `--memory`, e.g. "2g"); none when absent. */
  readonly memory?: string | undefined;
  /** Repository prefix of the tags that keep each app's images (and so its cached layers) alive. */
  readonly imagePrefix: string;
}

/** Written in a build's scratch directory while buildah runs: the process group to kill after a crash. */
export const BUILDER_PID_FILE = "builder.pid";

/** `localhost/kli8nt/<app>:<deploymentId>`: one tag per release, so rollbacks and layer reuse find them. */
export function imageTag(prefix: string, appName: string, deploymentId: string): string {
  return `${prefix}/${appName.toLowerCase()}:${deploymentId.toLowerCase()}`;
}

/** Builds the plan's Dockerfile with buildah (OCI isolation, private network, layer cache), at low CPU priority. */
export function buildahImageBuild(options: BuildahOptions): ImageBuild {
  return {
    kind: "buildah",
    isolated: true,
    async build(input: BuildInput): Promise<BuildOutput> {
      const iidFile = join(input.scratchDir, "image.iid");
      const argv = buildahArgs(options, input, iidFile, await buildVarArgs(input));
      const result = await runCommand("nice", ["-n", "10", "buildah", ...argv], {
        timeoutMs: input.timeoutMs,
        onLine: input.onLine,
        // Lets a restarted controller stop a build its killed predecessor left running (BUILDER_PID_FILE).
        onSpawn: (pid) => writeFileSync(join(input.scratchDir, BUILDER_PID_FILE), String(pid)),
      });
      if (result.timedOut) {
        throw new BuildError(
          "BUILD_TIMEOUT",
          `The build took longer than ${Math.round(input.timeoutMs / 1000)} s and was stopped`,
        );
      }
      if (result.code !== 0) throw new BuildError("BUILD_FAILED", failureReason(result.tail));
      const iid = (await readFile(iidFile, "utf8")).trim();
      return { image: iid.replace(/^sha256:/, "") };
    },
  };
}

function buildahArgs(
  options: BuildahOptions,
  input: BuildInput,
  iidFile: string,
  varArgs: readonly string[],
): string[] {
  const registry = registryBuildArgs({
    ...options.registry,
    ...(options.caFile ? { caFile: BUILD_CA_PATH } : {}),
  });
  return [
    "bud",
    "--layers",
    // RUN steps get a network namespace of their own (ADR 0136): chroot isolation shares the host's, so a
    // step could reach the platform's loopback ports; OCI isolation with a private network reaches
    // package registries through the bridge but not the host's 127.0.0.1.
    "--isolation",
    "oci",
    "--network",
    "private",
    ...(options.caFile ? ["--volume", `${options.caFile}:${BUILD_CA_PATH}:ro`] : []),
    ...(options.memory ? ["--memory", options.memory] : []),
    ...Object.entries(registry).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
    ...varArgs,
    // No --label: the tag names app and release already, and a label is an uncached step on every build
    // (about 0.3 s of a 3 s warm deploy, measured with bench:deploy).
    "--iidfile",
    iidFile,
    "-f",
    input.dockerfile,
    ...(input.target ? ["--target", input.target] : []),
    "-t",
    imageTag(options.imagePrefix, input.appName, input.deploymentId),
    input.contextDir,
  ];
}
