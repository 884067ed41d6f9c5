import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * How an app's environment reaches its container without ever entering the environment (or argv) of the
 * host's podman process (ADR 0135): single-line values through an `--env-file` written with mode 0600 in a
 * private directory and removed as soon as podman has read it; values with a line break (PEM keys), which
 * podman 4's env-file format cannot hold, through podman secrets of type env, removed with the container.
 */
export interface ContainerEnv {
  /** Arguments for `podman run`/`create`. */
  readonly args: string[];
  /** Secrets to create (name → file holding the value) before the run; they outlive it (read at start). */
  readonly secrets: ReadonlyMap<string, string>;
  /** Removes the env file: call right after `podman run`/`create` returns. */
  dispose(): Promise<void>;
}

/** Prefix of the podman secrets holding one release's multi-line values. */
export function secretPrefix(containerName: string): string {
  return `${containerName}-env-`;
}

/** Empties the platform's env-file directory: whatever is there was left by a process killed mid-start. */
export async function clearContainerEnvDir(envDir: string): Promise<void> {
  await rm(envDir, { recursive: true, force: true });
  await mkdir(envDir, { recursive: true, mode: 0o700 });
}

export async function writeContainerEnv(
  envDir: string,
  containerName: string,
  env: Readonly<Record<string, string>>,
): Promise<ContainerEnv> {
  // Under the data dir (cleared at start, so a kill mid-start leaves nothing behind for long), and
  // mkdtemp creates the directory with mode 0700: nobody else can even list it.
  await mkdir(envDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(envDir, "env-"));
  const file = join(dir, "app.env");
  const lines: string[] = [];
  const secrets = new Map<string, string>();
  const args = ["--env-file", file];
  for (const [key, value] of Object.entries(env)) {
    if (/[\r\n\0]/.test(value)) {
      const name = `${secretPrefix(containerName)}${secrets.size}`;
      const path = join(dir, `secret-${secrets.size}`);
      await writeFile(path, value, { mode: 0o600, flag: "wx" });
      secrets.set(name, path);
      args.push("--secret", `${name},type=env,target=${key}`);
    } else {
      // Always `NAME=value`: a bare `NAME` line would make podman copy the value from its own environment.
      lines.push(`${key}=${value}`);
    }
  }
  await writeFile(file, `${lines.join("\n")}\n`, { mode: 0o600, flag: "wx" });
  return { args, secrets, dispose: () => rm(dir, { recursive: true, force: true }) };
}
