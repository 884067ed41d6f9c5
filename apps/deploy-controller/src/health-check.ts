import type { ReleaseStatus } from "./runtime.ts";

export interface HealthOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Checked between probes, so a release that exits fails fast instead of waiting out the timeout. */
  readonly status: () => Promise<ReleaseStatus | null>;
}

export type HealthResult =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly reason: string };

/** One probe: null when healthy, else what went wrong. */
async function probe(upstream: string): Promise<string | null> {
  try {
    const res = await fetch(`${upstream}/`, { signal: AbortSignal.timeout(2000), redirect: "manual" });
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
 * Polls `GET <upstream>/` until the app answers with a status below 500 (it is up and serving, even if `/`
 * is a 404), the release exits, or the timeout passes.
 */
export async function waitHealthy(
  upstream: string,
  port: number,
  options: HealthOptions,
): Promise<HealthResult> {
  const started = Date.now();
  let last: string | null = "no answer";
  for (let n = 1; Date.now() < started + options.timeoutMs; n++) {
    last = await probe(upstream);
    if (last === null) return { ok: true, ms: Date.now() - started };
    const exited = n % 2 === 0 ? await exitReason(options, port) : null;
    if (exited) return { ok: false, reason: exited };
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
  const seconds = Math.round(options.timeoutMs / 1000);
  return {
    ok: false,
    reason: `The app did not answer HTTP on port ${port} within ${seconds} s (last: ${last})`,
  };
}
