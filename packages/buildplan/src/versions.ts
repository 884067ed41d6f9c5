import semver from "semver";

export type Runtime = "node" | "python" | "go" | "ruby" | "php" | "java" | "rust" | "deno" | "elixir" | "bun";

/**
 * Pinned version tables, newest first (reviewed by hand when a release line becomes LTS or reaches end of
 * life). Ranges resolve to the newest entry that satisfies them, so builds do not drift with the calendar.
 */
export const VERSION_TABLE: Record<Runtime, { versions: string[]; default: string }> = {
  node: { versions: ["24", "22", "20", "18"], default: "22" },
  python: { versions: ["3.13", "3.12", "3.11", "3.10", "3.9"], default: "3.12" },
  go: { versions: ["1.26", "1.25", "1.24", "1.23", "1.22", "1.21"], default: "1.24" },
  ruby: { versions: ["3.4", "3.3", "3.2", "3.1"], default: "3.3" },
  php: { versions: ["8.4", "8.3", "8.2"], default: "8.3" },
  java: { versions: ["25", "21", "17", "11"], default: "21" },
  rust: { versions: ["1"], default: "1" },
  deno: { versions: ["2", "1"], default: "2" },
  elixir: { versions: ["1.18", "1.17", "1.16", "1.15"], default: "1.18" },
  bun: { versions: ["1"], default: "1" },
};

/**
 * Table entries past their upstream end of life when the table was last reviewed (2026-12): still built,
 * because a repository pinned to one should keep deploying, but with a warning.
 */
export const END_OF_LIFE: Partial<Record<Runtime, string[]>> = {
  node: ["18"],
  python: ["3.9"],
  go: ["1.21", "1.22", "1.23", "1.24"],
  ruby: ["3.1"],
};

/**
 * Runtimes whose file names a minimum, not an exact version: go.mod's `go 1.14` means "1.14 or newer", so any
 * supported toolchain satisfies it (and Go's compatibility promise keeps such code building).
 */
const MINIMUM_SEMANTICS: ReadonlySet<Runtime> = new Set(["go"]);

const cmp = (a: string, b: string) => semver.compare(lowerOf(a), lowerOf(b));

/** An exact version: the table entry itself, else the closest supported one, with a warning. */
function exactVersion(runtime: Runtime, version: string): ResolvedVersion {
  const table = VERSION_TABLE[runtime];
  const eol = (END_OF_LIFE[runtime] ?? []).includes(version);
  if (table.versions.includes(version)) {
    return eol
      ? { version, warning: `${runtime} ${version} is past its end of life; it builds, but gets no fixes` }
      : { version };
  }
  const newest = table.versions[0] ?? table.default;
  const oldest = table.versions[table.versions.length - 1] ?? table.default;
  if (cmp(version, newest) > 0) {
    return {
      version: newest,
      warning: `${runtime} ${version} is newer than the newest supported (${newest}); using ${newest}`,
    };
  }
  if (MINIMUM_SEMANTICS.has(runtime)) {
    // Older than every supported toolchain: no image has it (golang:1.14-bookworm never existed).
    const pick = cmp(version, table.default) <= 0 ? table.default : newest;
    return {
      version: pick,
      warning: `${runtime} ${version} is a minimum and is out of support; building with ${runtime} ${pick}`,
    };
  }
  const pick =
    cmp(version, oldest) < 0 ? oldest : (table.versions.find((v) => cmp(v, version) >= 0) ?? oldest);
  return {
    version: pick,
    warning: `${runtime} ${version} is out of support (no maintained image); using ${pick}`,
  };
}

/** Node LTS code names (`lts/iron` in .nvmrc). */
const NODE_CODENAMES: Record<string, string> = { hydrogen: "18", iron: "20", jod: "22", krypton: "24" };
const NODE_LTS = ["24", "22", "20", "18"];

export interface ResolvedVersion {
  version: string;
  warning?: string;
}

/** Lower bound of a table entry ("3.12" → "3.12.0", "20" → "20.0.0"). */
function lowerOf(entry: string): string {
  const parts = entry.split(".");
  while (parts.length < 3) parts.push("0");
  return parts.join(".");
}

/** The half-open range a table entry covers ("3.12" → ">=3.12.0 <3.13.0-0"). */
function rangeOf(entry: string): string {
  const parts = entry.split(".").map(Number);
  const next = [...parts];
  next[next.length - 1] = (next[next.length - 1] ?? 0) + 1;
  return `>=${lowerOf(entry)} <${lowerOf(next.join("."))}-0`;
}

/** Translates PEP 440 / Gemfile / composer spellings into a semver range when they differ. */
function toSemverRange(spec: string): string {
  return spec
    .trim()
    .replace(/^v(?=\d)/, "")
    .replace(/,/g, " ")
    .replace(/~=\s*/g, "^")
    .replace(/===?\s*/g, "")
    .replace(/\|\|?/g, "||")
    .replace(/(\d+(?:\.\d+)*)\.\*/g, "$1.x");
}

/** An exact version keeps the precision the table uses (node "20.11.1" → "20", python "3.12.1" → "3.12"). */
function truncate(runtime: Runtime, exact: string): string {
  const precision = VERSION_TABLE[runtime].versions[0]?.split(".").length ?? 1;
  return exact.split(".").slice(0, precision).join(".");
}

function nodeLts(name: string, rawSpec: string): ResolvedVersion {
  const major = name === "*" || name === "" ? NODE_LTS[0] : NODE_CODENAMES[name];
  if (major) return { version: major };
  const fallback = VERSION_TABLE.node.default;
  return { version: fallback, warning: `unknown Node LTS name "${rawSpec}"; using ${fallback}` };
}

/** Resolves a version spec (exact, range, `lts/*`, code name) for a runtime through the pinned table. */
export function resolveVersion(runtime: Runtime, rawSpec: string): ResolvedVersion {
  const table = VERSION_TABLE[runtime];
  const spec = rawSpec.trim().toLowerCase();
  if (runtime === "node" && spec.startsWith("lts/")) return nodeLts(spec.slice(4), rawSpec);
  if (["node", "latest", "stable", "*", "x", ""].includes(spec)) {
    const newest = table.versions[0] ?? table.default;
    return { version: newest, warning: `${runtime} version "${rawSpec}" is unbounded; pinned to ${newest}` };
  }
  if (/^\d+(\.\d+){0,2}$/.test(spec)) return exactVersion(runtime, truncate(runtime, spec));
  const range = semver.validRange(toSemverRange(spec));
  if (range === null) {
    return {
      version: table.default,
      warning: `unreadable ${runtime} version "${rawSpec}"; using ${table.default}`,
    };
  }
  const match = table.versions.find((v) => semver.intersects(range, rangeOf(v)));
  if (match === undefined) {
    return {
      version: table.default,
      warning: `no supported ${runtime} satisfies "${rawSpec}"; using ${table.default}`,
    };
  }
  if (semver.satisfies("999.0.0", range)) {
    return {
      version: match,
      warning: `${runtime} version "${rawSpec}" has no upper bound; pinned to ${match}`,
    };
  }
  if ((END_OF_LIFE[runtime] ?? []).includes(match)) return exactVersion(runtime, match);
  return { version: match };
}
