import type { PackageManager } from "../types.ts";

/** npm package that provides each package manager's CLI, when installed with `npm install -g`. */
const NPM_PACKAGE: Partial<Record<PackageManager, string>> = {
  pnpm: "pnpm",
  yarn1: "yarn",
  // Yarn 2+ is not published as `yarn` (that is Yarn 1); its bundled CLI is @yarnpkg/cli-dist.
  "yarn-berry": "@yarnpkg/cli-dist",
};

const CORE_NAME: Partial<Record<PackageManager, string>> = {
  pnpm: "pnpm",
  yarn1: "yarn",
  "yarn-berry": "yarn",
};

const DEFAULT_MAJOR: Partial<Record<PackageManager, string>> = { pnpm: "9", yarn1: "1", "yarn-berry": "4" };

/** A version from `packageManager` or a lockfile goes into a shell command: digits, dots and a tag only. */
const SAFE_VERSION = /^\d+(\.\d+){0,2}(-[\w.]+)?$/;

/**
 * One shell command that puts the package manager on PATH without assuming the base image has it (the
 * official node images ship Yarn 1 but not pnpm; Node 25+ ships no corepack; Debian's nodejs has neither).
 * Corepack first, where it exists, so `packageManager` pins are honoured as Node intends; it installs into
 * npm's global prefix (so the process builder can point that prefix at a scratch directory). When corepack is
 * missing or fails — registry mirrors often strip the signatures corepack verifies — npm installs the same
 * version from the configured registry. Null for npm (always there) and bun (its own image).
 */
export function packageManagerSetup(pm: PackageManager, version: string | null): string | null {
  const pkg = NPM_PACKAGE[pm];
  const core = CORE_NAME[pm];
  if (pkg === undefined || core === undefined) return null;
  const v = version !== null && SAFE_VERSION.test(version) ? version : (DEFAULT_MAJOR[pm] ?? "latest");
  return [
    `(command -v corepack >/dev/null 2>&1 && corepack install -g ${core}@${v}`,
    `&& corepack enable --install-directory "$(npm prefix -g)/bin" ${core})`,
    `|| npm install -g ${pkg}@${v}`,
  ].join(" ");
}
