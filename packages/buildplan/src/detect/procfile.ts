import type { BuildPlan } from "../types.ts";

/** Parses a Procfile line by line (`name: command`); it is not YAML, so colons in commands are kept. */
export function parseProcfile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = line.match(/^([A-Za-z0-9_-]+)\s*:\s*(.+)$/);
    if (m?.[1] && m[2] && !(m[1] in out)) out[m[1]] = m[2].trim();
  }
  return out;
}

/**
 * Rule: `web` is the start command; without `web` the alphabetically first process is the image's command and
 * the plan serves no HTTP port; `release` is a pre-deploy step; every process but `web` and `release` is
 * listed in `processes` (each runs as its own process type).
 */
export function applyProcfile(plan: BuildPlan, procs: Record<string, string>): void {
  const { release, web, ...others } = procs;
  if (release !== undefined) plan.releaseCommand = release;
  if (web !== undefined) {
    plan.start = web;
    plan.processes = others;
    return;
  }
  const names = Object.keys(others).sort();
  const first = names[0];
  if (first === undefined) return;
  plan.start = others[first] ?? null;
  plan.port = null;
  plan.processes = Object.fromEntries(names.map((n) => [n, others[n] ?? ""]));
  plan.warnings.push(`Procfile has no web process; running "${first}", which serves no HTTP port`);
}
