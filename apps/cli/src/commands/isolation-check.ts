import { execFile } from "node:child_process";
import { decideIsolation, type IsolationDecision } from "./isolation-policy.ts";

/** True when `command --version` runs, with the platform's PATH. */
function runs(command: string, env: Readonly<Record<string, string>>): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(command, ["--version"], { env: { ...env }, timeout: 10_000 }, (error) =>
      resolve(error === null),
    );
  });
}

/** Probes for buildah/podman only when a setting is `auto`, then applies the isolation policy. */
export async function checkIsolation(input: {
  builder: "auto" | "buildah" | "process";
  runtime: "auto" | "podman" | "process";
  githubSignIn: boolean;
  host: string;
  hostEnv: Readonly<Record<string, string>>;
}): Promise<IsolationDecision> {
  const [hasBuildah, hasPodman] = await Promise.all([
    input.builder === "auto" ? runs("buildah", input.hostEnv) : Promise.resolve(false),
    input.runtime === "auto" ? runs("podman", input.hostEnv) : Promise.resolve(false),
  ]);
  return decideIsolation({ ...input, hasBuildah, hasPodman });
}
