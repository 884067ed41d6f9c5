import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";

export interface CommandResult {
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
}

/**
 * Runs a command without a shell; with `toFile`, stdout goes to that file (a dump can be large). `env` is the
 * child's whole environment, so a password passed as PGPASSWORD is the only secret it sees.
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: { env: Record<string, string>; toFile?: string; timeoutMs?: number },
): Promise<CommandResult> {
  const child = spawn(command, args, {
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const file = options.toFile ? createWriteStream(options.toFile, { mode: 0o600 }) : null;
  if (file) child.stdout.pipe(file);
  else child.stdout.on("data", (b: Buffer) => out.push(b));
  child.stderr.on("data", (b: Buffer) => err.push(b));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 10 * 60_000);
  try {
    const [code] = (await once(child, "close")) as [number | null];
    if (file && !file.closed) await once(file, "close");
    return { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
  } finally {
    clearTimeout(timer);
  }
}
