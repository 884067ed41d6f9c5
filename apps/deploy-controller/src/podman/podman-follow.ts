import { spawn } from "node:child_process";
import { readLines } from "@kli8nt/logstore";
import type { RunFollower, RunLine } from "../engine.ts";

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
    readLines(input, timestampedPieces(stream, onLine));
  }
  child.once("close", onEnd);
  child.once("error", onEnd);
  return { stop: () => child.kill("SIGTERM") };
}

/**
 * Pieces of a line longer than the cap come as they arrive (bounded memory); only the first carries
 * podman's timestamp, so the rest reuse it. podman's own complaints (no timestamp) are not app output.
 */
function timestampedPieces(
  stream: RunLine["stream"],
  onLine: (line: RunLine) => void,
): (raw: string, partial: boolean) => void {
  let continuing: string | null = null;
  return (raw, partial) => {
    if (continuing !== null) {
      onLine({ timestamp: continuing, stream, line: raw });
    } else {
      const space = raw.indexOf(" ");
      const timestamp = space > 0 ? raw.slice(0, space) : "";
      if (!/^\d{4}-\d{2}-\d{2}T/.test(timestamp)) return;
      onLine({ timestamp, stream, line: raw.slice(space + 1) });
      continuing = timestamp;
    }
    if (!partial) continuing = null;
  };
}
