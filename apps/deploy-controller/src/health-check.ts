import type { InstanceStatus as ReleaseStatus } from "./engine.ts";

export interface HealthOptions {
  readonly timeoutMs: number;
  /** Pause between probes (default 100 ms): a refused connection costs next to nothing. */
  readonly intervalMs?: number;
  /** Least time between two looks at the release's state (default 1000 ms); each one runs `podman inspect`. */
  readonly statusIntervalMs?: number;
  /** The path probed (the app's health-check path setting); `/` when unset. */
  readonly path?: string;
  /** Checked beside the probes, so a release that exits fails fast instead of waiting out the timeout. */
  readonly status: () => Promise<ReleaseStatus | null>;
}

export type HealthResult =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly reason: string };

/** One probe: null when healthy, else what went wrong. */
async function probe(upstream: string, path: string): Promise<string | null> {
  try {
    const res = await fetch(`${upstream}${path}`, { signal: AbortSignal.timeout(2000), redirect: "manual" });
    await res.body?.cancel();
    return res.status < 500 ? null : `HTTP ${res.status}`;
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    return cause instanceof Error ? cause.message : String(cause);
  }
}

async function exitReason(options: HealthOptions, port: number): Promise<string | null> {
  const status = await options.status();
  if (status?.running) return null;
  const code = status?.exitCode ?? null;
  return `The app exited${code === null ? "" : ` with code ${code}`} before answering on port ${port}`;
}

/**
 * Watches the release's state in the background, every `every` ms at most and one look at a time: a look
 * costs a podman process (0.1–0.3 s on a busy machine), which must neither delay the next probe nor take CPU
 * from the app while it starts.
 */
function exitWatch(options: HealthOptions, port: number, every: number) {
  let exited: string | null = null;
  let failure: unknown = null;
  let looking = false;
  // The first look waits one interval too: a podman process while the app boots takes CPU from it.
  let lastLook = Date.now();
  return {
    /** Starts a look if one is due; returns the exit reason or throws what the last look threw. */
    check(): string | null {
      if (failure) throw failure;
      if (!looking && Date.now() - lastLook >= every) {
        looking = true;
        lastLook = Date.now();
        exitReason(options, port).then(
          (reason) => {
            exited = reason;
            looking = false;
          },
          (error: unknown) => {
            failure = error ?? new Error("status check failed");
            looking = false;
          },
        );
      }
      return exited;
    },
  };
}

/**
 * Polls `GET <upstream>/` until the app answers with a status below 500 (it is up and serving, even if `/`
 * is a 404), the release exits, or the timeout passes.
 */
export async function waitHealthy(
  upstream: string,
  port: number,
  options: HealthOptions,
): Promise<HealthResult> {
  const started = Date.now();
  const watch = exitWatch(options, port, options.statusIntervalMs ?? 1000);
  let last: string | null = "no answer";
  while (Date.now() < started + options.timeoutMs) {
    last = await probe(upstream, options.path ?? "/");
    if (last === null) return { ok: true, ms: Date.now() - started };
    const exited = watch.check();
    if (exited) return { ok: false, reason: exited };
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
  const seconds = Math.round(options.timeoutMs / 1000);
  return {
    ok: false,
    reason: `The app did not answer HTTP on port ${port} within ${seconds} s (last: ${last})`,
  };
}
