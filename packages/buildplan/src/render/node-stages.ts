import { SELF_CONTAINED_START } from "../detect/node-server-start.ts";
import type { BuildPlan } from "../types.ts";
import { type BaseImageKey, baseImage } from "./base-images.ts";
import {
  APP_USER,
  aptLines,
  argLines,
  cmdLine,
  copyManifests,
  envLine,
  portLines,
  runChained,
  runLines,
} from "./instructions.ts";
import { staticRuntime } from "./static-runtime.ts";

/** Drops devDependencies from an installed tree (Yarn berry has no built-in equivalent, so it keeps them). */
const PRUNE: Partial<Record<string, string>> = {
  npm: "npm prune --omit=dev",
  pnpm: "pnpm prune --prod",
  yarn1: "yarn install --production --prefer-offline",
  bun: "bun install --production",
};

/** deps (manifests + install) → build (source + build) stages shared by Node servers and SPAs. */
function nodeBuildStages(plan: BuildPlan, image: string, after: string[], between: string[] = []): string[] {
  const buildEnv = Object.fromEntries(Object.entries(plan.env).filter(([k]) => k !== "NODE_ENV"));
  return [
    `FROM ${image} AS deps`,
    // Compilers and headers for native addons, before the install that needs them (its own cached layer).
    ...aptLines(plan.systemPackages.build),
    "WORKDIR /app",
    ...argLines("node"),
    ...envLine(buildEnv),
    ...copyManifests(plan.manifests),
    ...runLines(plan.install),
    "",
    ...between,
    ...buildStage(plan, image, after),
  ];
}

/**
 * With build commands, the build stage starts from deps and runs them; without, it is just the source on the
 * base image, so a source change costs a COPY and no container run.
 */
function buildStage(plan: BuildPlan, image: string, after: string[]): string[] {
  if (plan.build.length === 0) return [`FROM ${image} AS build`, "WORKDIR /app", "COPY . ."];
  return ["FROM deps AS build", ...argLines("node"), "COPY . .", ...runChained([...plan.build, ...after])];
}

/** Node.js server or SPA (static output served by Caddy, no Node in the runtime image). */
export function renderNode(plan: BuildPlan, map: Readonly<Record<string, string>>): string[] {
  const key: BaseImageKey = plan.packageManager === "bun" ? "bun" : "node";
  const image = baseImage(key, plan, map);
  if (plan.provider === "static") {
    return [
      ...nodeBuildStages(plan, image, []),
      "",
      ...staticRuntime(plan, baseImage("caddy", plan, map), "build"),
    ];
  }
  const prune = plan.packageManager ? PRUNE[plan.packageManager] : undefined;
  // Production node_modules come from their own stage keyed on the manifests only, so a source change
  // neither re-prunes nor re-copies dependencies; the build stage drops its own node_modules. The mkdir
  // keeps the COPY valid for apps without dependencies (or Yarn PnP).
  const selfContained = plan.start !== null && SELF_CONTAINED_START.test(plan.start);
  const prodDeps = selfContained
    ? ["FROM deps AS prod-deps", "RUN rm -rf node_modules && mkdir -p node_modules", ""]
    : ["FROM deps AS prod-deps", `RUN ${prune ? `${prune} && ` : ""}mkdir -p node_modules`, ""];
  return [
    ...nodeBuildStages(plan, image, ["rm -rf node_modules"], prodDeps),
    "",
    `FROM ${image} AS runtime`,
    ...aptLines(plan.systemPackages.runtime),
    "WORKDIR /app",
    // npm writes logs under $HOME; the numeric user has no home directory.
    ...envLine({ ...plan.env, NODE_ENV: "production", HOME: "/tmp" }),
    `USER ${APP_USER}`,
    ...portLines(plan),
    ...cmdLine(plan.start, true),
    // Last, so every instruction above stays cached when only the source changed.
    `COPY --from=prod-deps --chown=${APP_USER} /app/node_modules /app/node_modules`,
    `COPY --from=build --chown=${APP_USER} /app /app`,
  ];
}

/** Node build stage of a mixed repo (Rails/Laravel/Go assets): source plus built assets, without node_modules. */
export function nodeAssetsStage(plan: BuildPlan, map: Readonly<Record<string, string>>): string[] {
  const nb = plan.nodeBuild;
  if (nb === null) return [];
  return [
    `FROM ${baseImage("node", plan, map)} AS assets`,
    "WORKDIR /app",
    ...argLines("node"),
    // Globs: lockfiles that do not exist are skipped; package.json must.
    "COPY package.json package-lock.json* yarn.lock* pnpm-lock.yaml* bun.lock* ./",
    ...runLines(nb.install),
    "COPY . .",
    ...runChained([...nb.build, "rm -rf node_modules"]),
    "",
  ];
}
