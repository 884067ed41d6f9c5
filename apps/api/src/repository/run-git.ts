import { execFile } from "node:child_process";
import { Kli8ntError } from "@kli8nt/core";

/** The parts of the api's environment git may see: the api's own secrets stay out of the child. */
const INHERITED = ["PATH", "HOME", "LANG", "TMPDIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"] as const;

export interface GitRunOptions {
  /** Merged over the allow-listed environment: the token header config (ADR 0041), GIT_TERMINAL_PROMPT. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly timeoutMs: number;
}

export const GIT_FAILED = "GIT_FAILED";

/**
 * A git command that failed (code GIT_FAILED); `reason` is git's last stderr line (never holds the token:
 * it is a header). Callers turn it into their own answer.
 */
export class GitCommandError extends Kli8ntError {
  constructor(
    readonly reason: string,
    readonly timedOut: boolean,
  ) {
    super("unavailable", GIT_FAILED, reason, { details: { timedOut } });
  }
}

function childEnv(extra: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED) {
    // biome-ignore lint/style/noProcessEnv: the child's environment is built from an allow-list here
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, GIT_TERMINAL_PROMPT: "0", ...extra };
}

/** Runs git without a shell and returns its stdout; a failure or timeout throws GitCommandError. */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      {
        cwd: options.cwd,
        env: childEnv(options.env),
        timeout: options.timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 8 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const timedOut = error.killed === true;
        const last = stderr.trim().split("\n").at(-1)?.trim();
        reject(new GitCommandError(timedOut ? "timed out" : last || error.message, timedOut));
      },
    );
  });
}
