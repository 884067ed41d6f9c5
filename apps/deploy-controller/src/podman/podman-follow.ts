import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { RunFollower, RunLine } from "../runtime.ts";

/**
 * `podman logs --follow --timestamps`: podman keeps the container's stdout and stderr apart on its own, and
 * the process ends when the container is removed.
 */
export function followPodmanLogs(
  container: string,
  hostEnv: Readonly<Record<string, string>>,
  since: string | null,
  onLine: (line: RunLine) => void,
  onEnd: () => void,
): RunFollower {
  const args = ["logs", "--follow", "--timestamps", ...(since ? ["--since", since] : []), container];
  const child = spawn("podman", args, { env: { ...hostEnv }, stdio: ["ignore", "pipe", "pipe"] });
  for (const [stream, input] of [
    ["stdout", child.stdout],
    ["stderr", child.stderr],
  ] as const) {
    createInterface({ input }).on("line", (raw) => {
      const space = raw.indexOf(" ");
      const timestamp = space > 0 ? raw.slice(0, space) : "";
      // podman's own complaints (no timestamp) are not app output.
      if (!/^\d{4}-\d{2}-\d{2}T/.test(timestamp)) return;
      onLine({ timestamp, stream, line: raw.slice(space + 1) });
    });
  }
  child.once("close", onEnd);
  child.once("error", onEnd);
  return { stop: () => child.kill("SIGTERM") };
}
