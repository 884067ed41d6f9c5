import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Kli8ntError } from "@kli8nt/core";
import { readLines } from "@kli8nt/logstore";
import { freePort } from "../free-port.ts";
import type { ReleaseInstance, ReleaseSpec, RunLine, Runtime } from "../runtime.ts";

/** Written by the build controller's process builder (see its PROCESS_RELEASE_FILE). */
const RELEASE_FILE = ".kli8nt-release.json";
const IMAGE_PREFIX = "process:";

interface RunRecord {
  readonly pid: number;
  readonly appName: string;
  readonly upstream: string;
}

export interface ProcessRuntimeOptions {
  /** Where each running release records its pid, so a restarted platform finds (and stops) them. */
  readonly runDir: string;
  readonly hostEnv: Readonly<Record<string, string>>;
  readonly stopGraceSeconds: number;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Fallback when podman is absent: the release runs as a plain host process (unisolated) in its release
 * directory, with $PORT set to a free loopback port.
 */
export function processRuntime(options: ProcessRuntimeOptions): Runtime {
  const output = new Map<string, string[]>();
  // Recent lines with their times, replayed to a follower that attaches after the process started talking.
  const followers = new Map<
    string,
    { listeners: Set<(line: RunLine) => void>; recent: RunLine[]; ended: boolean }
  >();
  const ends = new Map<string, Set<() => void>>();
  const recordPath = (id: string) => join(options.runDir, `${id}.json`);
  const read = async (id: string): Promise<RunRecord | null> =>
    JSON.parse(await readFile(recordPath(id), "utf8").catch(() => "null")) as RunRecord | null;
  return {
    kind: "process",
    isolated: false,
    async start(spec: ReleaseSpec): Promise<ReleaseInstance> {
      const known = await read(spec.deploymentId);
      if (known && alive(known.pid))
        return {
          deploymentId: spec.deploymentId,
          appName: known.appName,
          upstream: known.upstream,
          running: true,
        };
      if (!spec.image.startsWith(IMAGE_PREFIX)) {
        throw new Kli8ntError(
          "terminal",
          "RELEASE_START_FAILED",
          "This release is a container image; the process runtime cannot run it (install podman)",
        );
      }
      const dir = spec.image.slice(IMAGE_PREFIX.length);
      const release = JSON.parse(await readFile(join(dir, RELEASE_FILE), "utf8")) as {
        start: string;
        env: Record<string, string>;
      };
      const port = await freePort();
      // An absolute shell: spawn would look "sh" up in the child's PATH, which is the app's to choose.
      const child = spawn("/bin/sh", ["-c", release.start], {
        cwd: dir,
        env: { ...options.hostEnv, ...release.env, ...spec.env, PORT: String(port) },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      const lines: string[] = [];
      output.set(spec.deploymentId, lines);
      const listeners = new Set<(line: RunLine) => void>();
      const recent: RunLine[] = [];
      followers.set(spec.deploymentId, { listeners, recent, ended: false });
      for (const [name, stream] of [
        ["stdout", child.stdout],
        ["stderr", child.stderr],
      ] as const) {
        readLines(stream, (line) => {
          lines.push(line);
          if (lines.length > 200) lines.shift();
          const event = { timestamp: new Date().toISOString(), stream: name, line };
          recent.push(event);
          if (recent.length > 1000) recent.shift();
          for (const listener of listeners) listener(event);
        });
      }
      child.once("close", () => {
        const entry = followers.get(spec.deploymentId);
        if (entry) entry.ended = true;
        for (const end of ends.get(spec.deploymentId) ?? []) end();
      });
      child.unref();
      const record: RunRecord = {
        pid: child.pid ?? -1,
        appName: spec.appName,
        upstream: `http://127.0.0.1:${port}`,
      };
      await mkdir(options.runDir, { recursive: true });
      await writeFile(recordPath(spec.deploymentId), JSON.stringify(record));
      return {
        deploymentId: spec.deploymentId,
        appName: spec.appName,
        upstream: record.upstream,
        running: true,
      };
    },
    async stop(deploymentId, stopOptions) {
      const known = await read(deploymentId);
      const graceSeconds = stopOptions?.graceSeconds ?? options.stopGraceSeconds;
      if (known) await terminate(known.pid, graceSeconds * 1000);
      await rm(recordPath(deploymentId), { force: true });
    },
    async status(deploymentId) {
      const known = await read(deploymentId);
      if (!known) return null;
      return alive(known.pid) ? { running: true, exitCode: null } : { running: false, exitCode: null };
    },
    async list() {
      const files = await readdir(options.runDir).catch(() => [] as string[]);
      const found = await Promise.all(
        files
          .filter((f) => f.endsWith(".json"))
          .map(async (f) => {
            const id = f.slice(0, -5);
            const known = await read(id);
            return known
              ? [
                  {
                    deploymentId: id,
                    appName: known.appName,
                    upstream: known.upstream,
                    running: alive(known.pid),
                  },
                ]
              : [];
          }),
      );
      return found.flat();
    },
    async logs(deploymentId, count) {
      return (output.get(deploymentId) ?? []).slice(-count);
    },
    // Only this process holds the pipes: output is followed live (a restarted platform starts new processes).
    follow(deploymentId, _since, onLine, onEnd) {
      const entry = followers.get(deploymentId);
      for (const line of entry?.recent ?? []) onLine(line);
      if (!entry || entry.ended) {
        queueMicrotask(onEnd);
        return { stop: () => undefined };
      }
      entry.listeners.add(onLine);
      const endsOf = ends.get(deploymentId) ?? new Set<() => void>();
      ends.set(deploymentId, endsOf);
      endsOf.add(onEnd);
      return {
        stop: () => {
          entry.listeners.delete(onLine);
          endsOf.delete(onEnd);
          onEnd();
        },
      };
    },
  };
}

/** SIGTERM to the process group, SIGKILL after the grace period. */
async function terminate(pid: number, graceMs: number): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      // Already gone: nothing to stop.
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) signal("SIGKILL");
}
