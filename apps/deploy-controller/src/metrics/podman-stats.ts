import { createHash } from "node:crypto";
import { exec } from "../exec.ts";

/** The `kli8nt.installation` label value createEngine gives this run directory's podman containers. */
export function installationOf(runDir: string): string {
  return createHash("sha256").update(runDir).digest("hex").slice(0, 16);
}

/** One sample of an app's process: its containers' CPU (cores busy) and memory, summed. */
export interface ProcessSample {
  readonly app: string;
  readonly process: string;
  readonly at: Date;
  readonly cpu: number;
  readonly memoryBytes: number;
  readonly containers: number;
}

interface PsEntry {
  readonly Id: string;
  readonly Labels?: Record<string, string> | null;
  readonly State?: string;
}

interface StatsEntry {
  readonly id: string;
  readonly cpu_time?: string;
  readonly cpu_percent?: string;
  readonly mem_usage?: string;
}

const UNITS: Record<string, number> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** "835.6kB / 25.28GB" → 835600: podman prints sizes in SI units (go-units HumanSize). */
export function parseMemUsage(text: string): number | null {
  const m = /^\s*([\d.]+)\s*([A-Za-z]+)/.exec(text);
  const unit = m?.[2] ? UNITS[m[2]] : undefined;
  return m?.[1] && unit ? Math.round(Number(m[1]) * unit) : null;
}

const DURATION_UNITS: Record<string, number> = {
  h: 3600,
  m: 60,
  s: 1,
  ms: 1e-3,
  µs: 1e-6,
  us: 1e-6,
  ns: 1e-9,
};

/** A Go duration ("1m2.5s", "881.44ms") in seconds. */
export function parseGoDuration(text: string): number | null {
  const parts = [...text.matchAll(/([\d.]+)(h|ms|m|s|µs|us|ns)/g)];
  if (parts.length === 0) return null;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] ?? ""] ?? 0), 0);
}

/** Adds one container's figures to its process's sample. */
function addTo(
  byProcess: Map<string, ProcessSample>,
  owner: { app: string; process: string },
  at: number,
  cpu: number,
  memory: number,
): void {
  const key = `${owner.app}\u0000${owner.process}`;
  const sum = byProcess.get(key);
  byProcess.set(key, {
    app: owner.app,
    process: owner.process,
    at: new Date(at),
    cpu: (sum?.cpu ?? 0) + cpu,
    memoryBytes: (sum?.memoryBytes ?? 0) + memory,
    containers: (sum?.containers ?? 0) + 1,
  });
}

export interface PodmanStatsOptions {
  readonly hostEnv: Readonly<Record<string, string>>;
  /** The `kli8nt.installation` label of this platform's containers: others on the machine are not ours. */
  readonly installation: string;
  readonly now?: () => number;
}

/**
 * Samples this installation's running containers with `podman stats --no-stream`. CPU is the change of
 * each container's CPU time since the previous sample over the wall time between them (podman's own
 * percentage averages since the container started); a container's first sample uses podman's.
 */
export class PodmanStatsSampler {
  readonly #options: PodmanStatsOptions;
  #previous = new Map<string, { cpuSeconds: number; at: number }>();

  constructor(options: PodmanStatsOptions) {
    this.#options = options;
  }

  async sample(): Promise<ProcessSample[]> {
    const owners = await this.#containers();
    if (owners.size === 0) {
      this.#previous.clear();
      return [];
    }
    const r = await exec("podman", ["stats", "--no-stream", "--format", "json", ...owners.keys()], {
      env: { ...this.#options.hostEnv },
      timeoutMs: 30_000,
    });
    // A container that stopped between ps and stats fails the whole call: the next sample has it right.
    if (r.code !== 0) return [];
    const at = this.#options.now?.() ?? Date.now();
    const next = new Map<string, { cpuSeconds: number; at: number }>();
    const byProcess = new Map<string, ProcessSample>();
    for (const entry of JSON.parse(r.stdout || "[]") as StatsEntry[]) {
      const id = [...owners.keys()].find((full) => full.startsWith(entry.id));
      const owner = id ? owners.get(id) : undefined;
      if (!id || !owner) continue;
      addTo(
        byProcess,
        owner,
        at,
        this.#cpuOf(id, entry, at, next),
        parseMemUsage(entry.mem_usage ?? "") ?? 0,
      );
    }
    this.#previous = next;
    return [...byProcess.values()];
  }

  #cpuOf(id: string, entry: StatsEntry, at: number, next: Map<string, { cpuSeconds: number; at: number }>) {
    const cpuSeconds = parseGoDuration(entry.cpu_time ?? "");
    const before = this.#previous.get(id);
    if (cpuSeconds !== null) next.set(id, { cpuSeconds, at });
    if (cpuSeconds !== null && before && at > before.at) {
      return Math.max(0, (cpuSeconds - before.cpuSeconds) / ((at - before.at) / 1000));
    }
    return (Number.parseFloat(entry.cpu_percent ?? "0") || 0) / 100;
  }

  /** Running containers of this installation → their app and process type (one-off runs excluded). */
  async #containers(): Promise<Map<string, { app: string; process: string }>> {
    const label = `label=kli8nt.installation=${this.#options.installation}`;
    const r = await exec("podman", ["ps", "--filter", label, "--format", "json"], {
      env: { ...this.#options.hostEnv },
      timeoutMs: 30_000,
    });
    if (r.code !== 0) throw new Error(`podman ps failed: ${r.stderr.trim().split("\n").at(-1) ?? ""}`);
    const owners = new Map<string, { app: string; process: string }>();
    for (const e of JSON.parse(r.stdout || "[]") as PsEntry[]) {
      const app = e.Labels?.["kli8nt.app"];
      const process = e.Labels?.["kli8nt.process"] ?? "web";
      if (app && process !== "one-off" && e.State !== "exited") owners.set(e.Id, { app, process });
    }
    return owners;
  }
}

export interface SamplerLoopOptions {
  readonly sampler: { sample(): Promise<ProcessSample[]> };
  readonly write: (samples: ProcessSample[]) => Promise<void>;
  readonly intervalMs: number;
  readonly onError: (err: unknown) => void;
}

/** Samples every `intervalMs` until stopped; a failed sample is reported and the loop goes on. */
export function startStatsLoop(options: SamplerLoopOptions): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = options.sampler
      .sample()
      .then((samples) => (samples.length > 0 ? options.write(samples) : undefined))
      .catch(options.onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };
  let timer = setTimeout(tick, options.intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
