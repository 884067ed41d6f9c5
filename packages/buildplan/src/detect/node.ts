import { basePlan, existing, firstLine, pickVersion, stringRecord, toolVersion } from "../plan-base.ts";
import type { RepoTree } from "../repo-tree.ts";
import type { BuildPlan } from "../types.ts";
import { nodeFramework, spaOutputDir } from "./node-framework.ts";
import { detectNodePackageManager } from "./node-package-manager.ts";
import { STATIC_START } from "./static.ts";

const NODE_MANIFESTS = [
  "package.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "pnpm-workspace.yaml",
  "bun.lock",
  "bun.lockb",
  ".npmrc",
  ".yarnrc",
  ".yarnrc.yml",
];

const ENTRY_FILES = ["server.js", "index.js", "main.js", "app.js", "server.mjs", "index.mjs"];
const BUN_ENTRY_FILES = ["index.ts", "server.ts", "main.ts", "index.js", "server.js"];

export function nodeDependencies(pkg: Record<string, unknown>): Record<string, string> {
  return { ...stringRecord(pkg.devDependencies), ...stringRecord(pkg.dependencies) };
}

async function startWithoutScript(
  tree: RepoTree,
  pkg: Record<string, unknown>,
  bun: boolean,
): Promise<string | null> {
  const main = typeof pkg.main === "string" && (await tree.isFile(pkg.main)) ? pkg.main : null;
  const entry = main ?? (await existing(tree, bun ? BUN_ENTRY_FILES : ENTRY_FILES))[0];
  if (!entry) return null;
  return bun ? `bun ${entry}` : `node ${entry}`;
}

/** Node.js (and Bun) apps: package.json at the root. */
export async function detectNode(tree: RepoTree, pkg: Record<string, unknown>): Promise<BuildPlan> {
  const plan = basePlan("node", 3000);
  const pm = await detectNodePackageManager(tree, pkg);
  const scripts = stringRecord(pkg.scripts);
  const deps = nodeDependencies(pkg);
  const bun = pm.packageManager === "bun";
  plan.packageManager = pm.packageManager;
  plan.install = pm.install;
  plan.warnings.push(...pm.warnings);
  plan.manifests = await existing(tree, NODE_MANIFESTS);
  plan.framework = nodeFramework(deps);
  if (scripts.build !== undefined) plan.build = [`${pm.run} build`];
  plan.start = scripts.start !== undefined ? `${pm.run} start` : await startWithoutScript(tree, pkg, bun);
  if (bun) {
    plan.runtimeVersions.bun = "1";
    plan.versionSource.bun = "default";
  } else {
    const engines = stringRecord(pkg.engines);
    await pickVersion(plan, "node", [
      ["engines", async () => engines.node],
      [".nvmrc", () => firstLine(tree, ".nvmrc")],
      [".node-version", () => firstLine(tree, ".node-version")],
      [".tool-versions", () => toolVersion(tree, "nodejs", "node")],
    ]);
  }
  if (plan.framework === "nextjs") plan.env.NEXT_TELEMETRY_DISABLED = "1";
  // Rule: an SPA is served by a static server unless package.json has an explicit start script.
  const spaDir = await spaOutputDir(tree, plan.framework, deps, scripts.build);
  // `next start` cannot serve a static export, so it does not count as an explicit start script.
  const explicitStart =
    scripts.start !== undefined && !(plan.framework === "nextjs" && /^next start\b/.test(scripts.start));
  if (spaDir !== null && !explicitStart) {
    plan.provider = "static";
    plan.staticOutputDir = spaDir;
    plan.start = STATIC_START;
    plan.port = 8080;
    if (scripts.build === undefined) plan.warnings.push(`${plan.framework} app has no build script`);
  } else if (plan.start === null) {
    plan.warnings.push("no start script, main file or index.js/server.js; set a start command");
  }
  return plan;
}

/** A package.json `build` script, for the Node build stage of Ruby/PHP/Go repositories. */
export async function nodeBuildStage(tree: RepoTree): Promise<BuildPlan["nodeBuild"]> {
  const pkg = await tree.readJson("package.json");
  const scripts = stringRecord(pkg?.scripts);
  if (pkg === null || scripts.build === undefined) return null;
  const pm = await detectNodePackageManager(tree, pkg);
  return { packageManager: pm.packageManager, install: pm.install, build: [`${pm.run} build`] };
}
