import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What one run of the CLI gave: its exit code (-1 when killed) and its output. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  /** The api the CLI talks to (`KLI8NT_URL`). */
  readonly url: string;
  /** `KLI8NT_TOKEN`; undefined runs the CLI signed out (the test runner's own token removed too). */
  readonly token: string | undefined;
  /** `KLI8NT_CONFIG_DIR`, so the user's own config is never read. */
  readonly configDir: string;
  /** Set last, over the rest (PATH, PG* variables, …). */
  readonly env?: NodeJS.ProcessEnv;
}

const BIN = fileURLToPath(new URL("../bin/kli8nt.js", import.meta.url));

/** Runs the real `kli8nt` entry point in a child process, as a user's shell would (tests only). */
export function runCli(args: readonly string[], options: CliRunOptions): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KLI8NT_URL: options.url,
    KLI8NT_CONFIG_DIR: options.configDir,
  };
  if (options.token === undefined) delete env.KLI8NT_TOKEN;
  else env.KLI8NT_TOKEN = options.token;
  Object.assign(env, options.env);
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}
