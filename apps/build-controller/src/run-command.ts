import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { readLines } from "@kli8nt/logstore";

export interface RunOptions {
  readonly cwd?: string;
  /** Merged over a minimal inherited environment (PATH, HOME, proxies): secrets of the platform stay out. */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Each output line as it comes. */
  readonly onLine?: (stream: "stdout" | "stderr", line: string) => void;
  readonly signal?: AbortSignal;
  /** Called with the child's pid (also its process group id) once it is spawned. */
  readonly onSpawn?: (pid: number) => void;
}

export interface RunResult {
  readonly code: number | null;
  readonly timedOut: boolean;
  /** The last output lines (both streams), for failure reasons. */
  readonly tail: string[];
}

// Enough to reach back from buildah's summary line to the failing step's own output (failure-reason.ts).
const TAIL_LINES = 80;
const INHERITED = [
  "PATH",
  "HOME",
  "LANG",
  "TMPDIR",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
];

/** The parts of the platform's environment a child process may see. */
export function baseEnv(source: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED) {
    const value = source[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/**
 * Runs a command without a shell (argv as given), streams its lines, and on timeout or abort kills its whole
 * process group (buildah forks helpers that would otherwise outlive it).
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      // biome-ignore lint/style/noProcessEnv: the child's environment is built from an allow-list here
      env: { ...baseEnv(process.env), ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const tail: string[] = [];
    let timedOut = false;
    const kill = (): void => {
      if (child.pid === undefined || child.exitCode !== null) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    options.signal?.addEventListener("abort", kill, { once: true });
    for (const [name, stream] of [
      ["stdout", child.stdout],
      ["stderr", child.stderr],
    ] as const) {
      // Bounded pieces as bytes arrive: a step printing 300 MB without a newline must not grow memory.
      readLines(stream, (line) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        options.onLine?.(name, line);
      });
    }
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", kill);
      resolve({ code, timedOut, tail });
    });
  });
}

/**
 * SIGKILLs a process group left by a previous, killed platform process, if its leader is still the command
 * named `expected` (a pid reused after a reboot must not be killed). False when there is nothing to kill.
 */
export function killRecordedGroup(pid: number, expected: string): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return false;
  }
  if (!cmdline.split("\0").includes(expected)) return false;
  try {
    process.kill(-pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}
