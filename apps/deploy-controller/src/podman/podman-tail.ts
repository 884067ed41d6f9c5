import { spawn } from "node:child_process";
import { readLines } from "@kli8nt/logstore";

/**
 * The last `count` lines of a container's output (both streams), read as a stream and cut at the log line
 * cap: a container that printed hundreds of MB on one line costs at most `count` pieces of 16 KiB here,
 * not the whole line in memory (`podman logs --tail` counts lines, not bytes).
 */
export function tailPodmanLogs(
  container: string,
  hostEnv: Readonly<Record<string, string>>,
  count: number,
): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn("podman", ["logs", "--tail", String(count), container], {
      env: { ...hostEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const kept: string[] = [];
    const keep = (line: string) => {
      if (line.trim() === "") return;
      kept.push(line);
      if (kept.length > count) kept.shift();
    };
    readLines(child.stdout, keep);
    readLines(child.stderr, keep);
    child.once("error", () => resolve([]));
    child.once("close", () => resolve(kept));
  });
}
