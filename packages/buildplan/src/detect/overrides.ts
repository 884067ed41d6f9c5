import { isRecord } from "../plan-base.ts";
import type { RepoTree } from "../repo-tree.ts";
import type { BuildPlan, PlanOverrides, RuntimeVersions } from "../types.ts";
import { type Runtime, resolveVersion, VERSION_TABLE } from "../versions.ts";

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((s) => typeof s === "string") ? v : typeof v === "string" ? [v] : undefined;

/** Reads the repo's kli8nt.json; unknown or mistyped keys are ignored with a warning. */
export async function readRepoOverrides(tree: RepoTree, warnings: string[]): Promise<PlanOverrides> {
  const raw = await tree.readJson("kli8nt.json");
  if (raw === null) return {};
  const out = commandOverrides(raw);
  if (isRecord(raw.runtimeVersions)) out.runtimeVersions = versionOverrides(raw.runtimeVersions, warnings);
  const known = new Set([
    "install",
    "build",
    "start",
    "port",
    "staticOutputDir",
    "runtimeVersions",
    "$schema",
  ]);
  for (const k of Object.keys(raw)) if (!known.has(k)) warnings.push(`kli8nt.json: unknown key "${k}"`);
  return out;
}

function versionOverrides(raw: Record<string, unknown>, warnings: string[]): RuntimeVersions {
  const versions: RuntimeVersions = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k in VERSION_TABLE && typeof v === "string") versions[k as Runtime] = v;
    else warnings.push(`kli8nt.json: ignored runtimeVersions.${k}`);
  }
  return versions;
}

function commandOverrides(raw: Record<string, unknown>): PlanOverrides {
  const out: PlanOverrides = {};
  const install = strings(raw.install);
  const build = strings(raw.build);
  if (install) out.install = install;
  if (build) out.build = build;
  if (typeof raw.start === "string") out.start = raw.start;
  if (typeof raw.port === "number" && Number.isInteger(raw.port) && raw.port > 0 && raw.port < 65536)
    out.port = raw.port;
  if (typeof raw.staticOutputDir === "string" && !raw.staticOutputDir.includes(".."))
    out.staticOutputDir = raw.staticOutputDir;
  return out;
}

/** Applies one override layer; `source` is recorded as the version source. */
export function applyOverrides(plan: BuildPlan, o: PlanOverrides, source: string): void {
  if (o.install) plan.install = [...o.install];
  if (o.build) plan.build = [...o.build];
  if (o.start !== undefined) plan.start = o.start;
  if (o.port !== undefined) plan.port = o.port;
  if (o.staticOutputDir !== undefined) plan.staticOutputDir = o.staticOutputDir;
  for (const [runtime, spec] of Object.entries(o.runtimeVersions ?? {})) {
    const resolved = resolveVersion(runtime as Runtime, spec);
    plan.runtimeVersions[runtime as Runtime] = resolved.version;
    plan.versionSource[runtime] = source;
    if (resolved.warning) plan.warnings.push(resolved.warning);
  }
}
