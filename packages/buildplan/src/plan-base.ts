import type { RepoTree } from "./repo-tree.ts";
import type { BuildPlan, Provider } from "./types.ts";
import { type Runtime, resolveVersion, VERSION_TABLE } from "./versions.ts";

/** A plan with every field at its neutral value; detectors fill in what they find. */
export function basePlan(provider: Provider, port: number | null): BuildPlan {
  return {
    provider,
    framework: null,
    packageManager: null,
    runtimeVersions: {},
    versionSource: {},
    install: [],
    build: [],
    start: null,
    staticOutputDir: null,
    port,
    processes: {},
    releaseCommand: null,
    env: {},
    manifests: [],
    nodeBuild: null,
    systemPackages: { build: [], runtime: [] },
    keepRepoFiles: false,
    hasDockerignore: false,
    warnings: [],
  };
}

/** One candidate source of a runtime version: a label and a function returning the raw spec, if any. */
export type VersionCandidate = [source: string, read: () => Promise<string | null | undefined>];

/** Sets `plan.runtimeVersions[runtime]` from the first candidate that yields a spec, else the pinned default. */
export async function pickVersion(
  plan: BuildPlan,
  runtime: Runtime,
  candidates: VersionCandidate[],
): Promise<void> {
  for (const [source, read] of candidates) {
    const spec = (await read())?.trim();
    if (!spec) continue;
    const resolved = resolveVersion(runtime, spec);
    plan.runtimeVersions[runtime] = resolved.version;
    plan.versionSource[runtime] = source;
    if (resolved.warning) plan.warnings.push(resolved.warning);
    return;
  }
  plan.runtimeVersions[runtime] = VERSION_TABLE[runtime].default;
  plan.versionSource[runtime] = "default";
}

/** Reads `<tool> <version>` from asdf/mise's .tool-versions. */
export async function toolVersion(tree: RepoTree, ...tools: string[]): Promise<string | null> {
  const text = await tree.read(".tool-versions");
  if (text === null) return null;
  for (const line of text.split("\n")) {
    const [tool, version] = line.trim().split(/\s+/);
    if (tool && version && tools.includes(tool)) return version;
  }
  return null;
}

/** First line of a version file, without comments. */
export async function firstLine(tree: RepoTree, path: string): Promise<string | null> {
  const text = await tree.read(path);
  if (text === null) return null;
  const line = text.split("\n").find((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  return line?.trim() ?? null;
}

/** The subset of `paths` that exist as files, in the given order. */
export async function existing(tree: RepoTree, paths: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const p of paths) if (await tree.isFile(p)) found.push(p);
  return found;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function stringRecord(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}
