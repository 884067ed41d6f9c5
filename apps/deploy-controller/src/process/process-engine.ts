import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Kli8ntError } from "@kli8nt/core";
import { readLines } from "@kli8nt/logstore";
import type { Engine, Instance, InstanceSpec, OneOffInstanceSpec, RunLine } from "../engine.ts";
import { freePort } from "../free-port.ts";

/** Written by the build controller's process builder (see its PROCESS_RELEASE_FILE). */
const RELEASE_FILE = ".kli8nt-release.json";
const IMAGE_PREFIX = "process:";

interface RunRecord {
  readonly pid: number;
  readonly deploymentId: string;
  readonly appName: string;
  readonly process: string;
  readonly index: number;
  readonly upstream: string;
  readonly startedAt: string;
}

export interface ProcessEngineOptions {
  /** Where each running instance records its pid, so a restarted platform finds (and stops) them. */
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

type Follow = { listeners: Set<(line: RunLine) => void>; recent: RunLine[]; ended: boolean };

/** The release directory and its start command (the process builder's output). */
async function releaseOf(
  image: string,
): Promise<{ dir: string; start: string; env: Record<string, string> }> {
  if (!image.startsWith(IMAGE_PREFIX)) {
    throw new Kli8ntError(
      "terminal",
      "RELEASE_START_FAILED",
      "This release is a container image; the process runtime cannot run it (install podman)",
    );
  }
  const dir = image.slice(IMAGE_PREFIX.length);
  const release = JSON.parse(await readFile(join(dir, RELEASE_FILE), "utf8")) as {
    start: string;
    env: Record<string, string>;
  };
  return { dir, ...release };
}

/**
 * Fallback when podman is absent: each instance runs as a plain host process (unisolated) in its release
 * directory, with $PORT set to a free loopback port for `web`.
 */
export function processEngine(options: ProcessEngineOptions): Engine {
  const output = new Map<string, string[]>();
  // Recent lines with their times, replayed to a follower that attaches after the process started talking.
  const followers = new Map<string, Follow>();
  const ends = new Map<string, Set<() => void>>();
  const recordPath = (key: string) => join(options.runDir, `${key}.json`);
  const read = async (key: string): Promise<RunRecord | null> =>
    JSON.parse(await readFile(recordPath(key), "utf8").catch(() => "null")) as RunRecord | null;

  /** Spawns `sh -c command` in its own process group, its output kept and followable under `key`. */
  const launch = (key: string, command: string, dir: string, env: Record<string, string>): ChildProcess => {
    // An absolute shell: spawn would look "sh" up in the child's PATH, which is the app's to choose.
    const child = spawn("/bin/sh", ["-c", command], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const lines: string[] = [];
    output.set(key, lines);
    const entry: Follow = { listeners: new Set(), recent: [], ended: false };
    followers.set(key, entry);
    for (const [name, stream] of [
      ["stdout", child.stdout],
      ["stderr", child.stderr],
    ] as const) {
      readLines(stream, (line) => {
        lines.push(line);
        if (lines.length > 200) lines.shift();
        const event = { timestamp: new Date().toISOString(), stream: name, line };
        entry.recent.push(event);
        if (entry.recent.length > 1000) entry.recent.shift();
        for (const listener of entry.listeners) listener(event);
      });
    }
    child.once("close", () => {
      entry.ended = true;
      for (const end of ends.get(key) ?? []) end();
    });
    return child;
  };

  const toInstance = (key: string, r: RunRecord): Instance => ({
    key,
    deploymentId: r.deploymentId,
    appName: r.appName,
    process: r.process,
    index: r.index,
    upstream: r.upstream,
    running: alive(r.pid),
    startedAt: r.startedAt,
  });

  return {
    kind: "process",
    isolated: false,
    async start(spec: InstanceSpec): Promise<Instance> {
      const known = await read(spec.key);
      if (known && alive(known.pid)) return toInstance(spec.key, known);
      const release = await releaseOf(spec.image);
      const port = spec.port === null ? null : await freePort();
      const child = launch(spec.key, spec.command ?? release.start, release.dir, {
        ...options.hostEnv,
        ...release.env,
        ...spec.env,
        ...(port === null ? {} : { PORT: String(port) }),
      });
      child.unref();
      const record: RunRecord = {
        pid: child.pid ?? -1,
        deploymentId: spec.deploymentId,
        appName: spec.appName,
        process: spec.process,
        index: spec.index,
        upstream: port === null ? "" : `http://127.0.0.1:${port}`,
        startedAt: new Date().toISOString(),
      };
      await mkdir(options.runDir, { recursive: true });
      await writeFile(recordPath(spec.key), JSON.stringify(record));
      return toInstance(spec.key, record);
    },
    async stop(key, stopOptions) {
      const known = await read(key);
      const graceSeconds = stopOptions?.graceSeconds ?? options.stopGraceSeconds;
      if (known) await terminate(known.pid, graceSeconds * 1000);
      await rm(recordPath(key), { force: true });
    },
    async status(key) {
      const known = await read(key);
      if (!known) return null;
      return alive(known.pid) ? { running: true, exitCode: null } : { running: false, exitCode: null };
    },
    async list() {
      const files = await readdir(options.runDir).catch(() => [] as string[]);
      const found = await Promise.all(
        files
          .filter((f) => f.endsWith(".json"))
          .map(async (f) => {
            const key = f.slice(0, -5);
            const known = await read(key);
            return known?.deploymentId ? [toInstance(key, known)] : [];
          }),
      );
      return found.flat();
    },
    async logs(key, count) {
      return (output.get(key) ?? []).slice(-count);
    },
    // Only this process holds the pipes: output is followed live (a restarted platform starts new processes).
    follow(key, _since, onLine, onEnd) {
      const entry = followers.get(key);
      for (const line of entry?.recent ?? []) onLine(line);
      if (!entry || entry.ended) {
        queueMicrotask(onEnd);
        return { stop: () => undefined };
      }
      entry.listeners.add(onLine);
      const endsOf = ends.get(key) ?? new Set<() => void>();
      ends.set(key, endsOf);
      endsOf.add(onEnd);
      return {
        stop: () => {
          entry.listeners.delete(onLine);
          endsOf.delete(onEnd);
          onEnd();
        },
      };
    },
    async runOnce(spec: OneOffInstanceSpec, signal?: AbortSignal) {
      const release = await releaseOf(spec.image);
      const child = launch(spec.key, spec.command, release.dir, {
        ...options.hostEnv,
        ...release.env,
        ...spec.env,
      });
      followers.get(spec.key)?.listeners.add(spec.onLine);
      let timedOut = false;
      const kill = () => {
        if (child.pid) void terminate(child.pid, 2000);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, spec.timeoutMs);
      signal?.addEventListener("abort", kill, { once: true });
      const code = await new Promise<number | null>((resolve) => {
        child.once("close", (c) => resolve(c));
        child.once("error", () => resolve(null));
      });
      clearTimeout(timer);
      signal?.removeEventListener("abort", kill);
      const tail = (output.get(spec.key) ?? []).slice(-20);
      output.delete(spec.key);
      followers.delete(spec.key);
      return { exitCode: timedOut ? null : code, tail };
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
