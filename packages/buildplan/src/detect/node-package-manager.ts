import type { RepoTree } from "../repo-tree.ts";
import type { PackageManager } from "../types.ts";
import { packageManagerSetup } from "./node-pm-setup.ts";

export interface NodePackageManager {
  packageManager: PackageManager;
  /** Major version of the package manager when known (pnpm from the lockfile header, yarn/pnpm from `packageManager`). */
  major: string | null;
  lockfile: string | null;
  install: string[];
  /** How a package.json script is run: `npm run`, `yarn run`… */
  run: string;
  /** What decided it: `packageManager`, the lockfile's name, or `no lockfile`. */
  source: string;
  /** How a build-time-only package is added: `npm install --no-save`, `pnpm add -D`… */
  add: string;
  warnings: string[];
}

const LOCKFILES: [file: string, pm: "pnpm" | "bun" | "yarn" | "npm"][] = [
  ["pnpm-lock.yaml", "pnpm"],
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
  ["yarn.lock", "yarn"],
  ["package-lock.json", "npm"],
  ["npm-shrinkwrap.json", "npm"],
];

const RUN: Record<string, string> = {
  npm: "npm run",
  pnpm: "pnpm run",
  yarn1: "yarn run",
  "yarn-berry": "yarn run",
  bun: "bun run",
};

const ADD: Record<string, string> = {
  npm: "npm install --no-save",
  pnpm: "pnpm add -D",
  yarn1: "yarn add -D",
  "yarn-berry": "yarn add -D",
  bun: "bun add -d",
};

/** pnpm lockfile header → the pnpm major that writes it. */
function pnpmMajorFromLock(text: string | null): string | null {
  const m = text?.match(/^lockfileVersion:\s*'?(\d+)(?:\.(\d+))?/m);
  if (!m?.[1]) return null;
  const v = Number(m[1]);
  if (v >= 9) return "9";
  if (v === 6) return "8";
  if (v === 5) return m[2] && Number(m[2]) >= 4 ? "7" : "6";
  return null;
}

function installFor(pm: PackageManager, locked: boolean, version: string | null): string[] {
  const setup = packageManagerSetup(pm, version);
  const withSetup = (cmd: string) => (setup === null ? [cmd] : [setup, cmd]);
  switch (pm) {
    case "pnpm":
      return withSetup(locked ? "pnpm install --frozen-lockfile" : "pnpm install");
    case "yarn-berry":
      return withSetup(locked ? "yarn install --immutable" : "yarn install");
    case "yarn1":
      return withSetup(locked ? "yarn install --frozen-lockfile" : "yarn install");
    case "bun":
      return [locked ? "bun install --frozen-lockfile" : "bun install"];
    default:
      return [locked ? "npm ci" : "npm install"];
  }
}

/** `"yarn@4.5.0+sha…"` → ["yarn", "4", "4.5.0"]. */
function parseField(field: unknown): [string, string | null, string | null] | null {
  if (typeof field !== "string") return null;
  const m = field.match(/^(npm|pnpm|yarn|bun)@((\d+)[\w.-]*)?/);
  return m?.[1] ? [m[1], m[3] ?? null, m[2] ?? null] : null;
}

async function presentLockfiles(tree: RepoTree): Promise<{ f: string; pm: string }[]> {
  const present: { f: string; pm: string }[] = [];
  for (const [f, pm] of LOCKFILES) if (await tree.isFile(f)) present.push({ f, pm });
  return present;
}

/** Resolves the yarn flavour and the pnpm major, which need the lockfile when `packageManager` is silent. */
async function flavour(
  tree: RepoTree,
  name: string,
  major: string | null,
): Promise<[PackageManager, string | null]> {
  if (name === "yarn") {
    const berry =
      major !== null ? Number(major) >= 2 : /__metadata:/.test((await tree.read("yarn.lock")) ?? "");
    return [berry ? "yarn-berry" : "yarn1", major];
  }
  if (name === "pnpm") return ["pnpm", major ?? pnpmMajorFromLock(await tree.read("pnpm-lock.yaml"))];
  return [name as PackageManager, major];
}

/**
 * Rule: the `packageManager` field wins; else lockfiles in the order pnpm, bun, yarn, npm; several lockfiles
 * give a warning; no lockfile means npm with `npm install` and a warning.
 */
export async function detectNodePackageManager(
  tree: RepoTree,
  pkg: Record<string, unknown>,
): Promise<NodePackageManager> {
  const warnings: string[] = [];
  const present = await presentLockfiles(tree);
  if (new Set(present.map((p) => p.pm)).size > 1) {
    warnings.push(`several lockfiles (${present.map((p) => p.f).join(", ")}); using the first by precedence`);
  }
  const field = parseField(pkg.packageManager);
  const name = field?.[0] ?? present[0]?.pm ?? "npm";
  const lockfile = present.find((p) => p.pm === name)?.f ?? null;
  const [pm, major] = await flavour(tree, name, field?.[1] ?? null);
  if (lockfile === null) warnings.push(`no lockfile for ${pm}; dependencies are not pinned (${pm} install)`);
  return {
    packageManager: pm,
    major,
    lockfile,
    install: installFor(pm, lockfile !== null, field?.[2] ?? major),
    run: RUN[pm] ?? "npm run",
    source: field !== null ? "packageManager field" : (lockfile ?? "no lockfile"),
    add: ADD[pm] ?? "npm install --no-save",
    warnings,
  };
}
