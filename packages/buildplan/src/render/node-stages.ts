import type { BuildPlan } from "../types.ts";
import { type BaseImageKey, baseImage } from "./base-images.ts";
import { APP_USER, argLines, cmdLine, copyManifests, envLine, portLines, runLines } from "./instructions.ts";
import { staticRuntime } from "./static-runtime.ts";

const PRUNE: Partial<Record<string, string>> = { npm: "npm prune --omit=dev", pnpm: "pnpm prune --prod" };

/** deps (manifests + install) → build (source + build) stages shared by Node servers and SPAs. */
function nodeBuildStages(plan: BuildPlan, image: string): string[] {
  const buildEnv = Object.fromEntries(Object.entries(plan.env).filter(([k]) => k !== "NODE_ENV"));
  return [
    `FROM ${image} AS deps`,
    "WORKDIR /app",
    ...argLines(),
    ...envLine(buildEnv),
    ...copyManifests(plan.manifests),
    ...runLines(plan.install),
    "",
    "FROM deps AS build",
    ...argLines(),
    "COPY . .",
    ...runLines(plan.build),
  ];
}

/** Node.js server or SPA (static output served by Caddy, no Node in the runtime image). */
export function renderNode(plan: BuildPlan, map: Readonly<Record<string, string>>): string[] {
  const key: BaseImageKey = plan.packageManager === "bun" ? "bun" : "node";
  const image = baseImage(key, plan, map);
  const stages = nodeBuildStages(plan, image);
  if (plan.provider === "static")
    return [...stages, "", ...staticRuntime(plan, baseImage("caddy", plan, map), "build")];
  const prune = plan.packageManager ? PRUNE[plan.packageManager] : undefined;
  return [
    ...stages,
    ...(prune ? [`RUN ${prune}`] : []),
    "",
    `FROM ${image} AS runtime`,
    "WORKDIR /app",
    // npm writes logs under $HOME; the numeric user has no home directory.
    ...envLine({ ...plan.env, NODE_ENV: "production", HOME: "/tmp" }),
    `COPY --from=build --chown=${APP_USER} /app /app`,
    `USER ${APP_USER}`,
    ...portLines(plan),
    ...cmdLine(plan.start, true),
  ];
}

/** Node build stage of a mixed repo (Rails/Laravel/Go assets): source plus built assets, without node_modules. */
export function nodeAssetsStage(plan: BuildPlan, map: Readonly<Record<string, string>>): string[] {
  const nb = plan.nodeBuild;
  if (nb === null) return [];
  return [
    `FROM ${baseImage("node", plan, map)} AS assets`,
    "WORKDIR /app",
    ...argLines(),
    // Globs: lockfiles that do not exist are skipped; package.json must.
    "COPY package.json package-lock.json* yarn.lock* pnpm-lock.yaml* bun.lock* ./",
    ...runLines(nb.install),
    "COPY . .",
    ...runLines(nb.build),
    "RUN rm -rf node_modules",
    "",
  ];
}
