import { basePlan, existing, firstLine, pickVersion, stringRecord, toolVersion } from "../plan-base.ts";
import type { RepoTree } from "../repo-tree.ts";
import type { BuildPlan } from "../types.ts";
import { addNativePackages, NODE_NATIVE } from "./native-deps.ts";
import { devServerOf, watcherToNode } from "./node-dev-server.ts";
import { nodeFramework, spaOutputDir } from "./node-framework.ts";
import { detectNodePackageManager } from "./node-package-manager.ts";
import { type FrameworkOutput, frameworkOutput } from "./node-server-start.ts";
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
  addRule(plan, `node: package.json; ${pm.packageManager} (${pm.source})`);
  plan.warnings.push(...pm.warnings);
  plan.manifests = await existing(tree, NODE_MANIFESTS);
  plan.framework = nodeFramework(deps);
  if (scripts.build !== undefined) plan.build = [`${pm.run} build`];
  // The runtime image runs `npm run start` whatever installed the tree: npm is in every Node image, while
  // pnpm/Yarn exist only in the build stages (they run the same package.json script over node_modules).
  plan.start =
    scripts.start !== undefined
      ? `${bun ? "bun run" : "npm run"} start`
      : await startWithoutScript(tree, pkg, bun);
  if (
    pm.packageManager === "yarn-berry" &&
    !/nodeLinker:\s*["']?node-modules/.test((await tree.read(".yarnrc.yml")) ?? "")
  ) {
    plan.warnings.push(
      "Yarn Plug'n'Play: the runtime needs node_modules; set `nodeLinker: node-modules` in .yarnrc.yml",
    );
  }
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
  addNativePackages(plan, NODE_NATIVE, new Map(Object.keys(deps).map((d) => [d, new Set<string>()])));
  if (plan.systemPackages.build.includes("g++")) plan.install = withLocalNodeHeaders(plan.install);
  await chooseStart(tree, plan, { scripts, deps, add: pm.add });
  return plan;
}

interface StartContext {
  scripts: Record<string, string>;
  deps: Record<string, string>;
  add: string;
}

/**
 * Rules, in order: a meta-framework's production output (when the start script is absent, a dev server, or
 * `next start` where Next.js cannot use it); a dev-server start script → its SPA build served statically;
 * an SPA without a start script → static; otherwise the start script or entry file.
 */
async function chooseStart(tree: RepoTree, plan: BuildPlan, ctx: StartContext): Promise<void> {
  const { scripts } = ctx;
  const dev = devServerOf(scripts.start);
  const output = await frameworkOutput(tree, plan.framework, {
    deps: ctx.deps,
    buildScript: scripts.build,
    add: ctx.add,
  });
  // Even when the app's own start script wins, it runs the framework's server: same binding (HOST…).
  if (output?.kind === "server") Object.assign(plan.env, output.env);
  if (dev !== null) {
    plan.warnings.push(
      `start script "${scripts.start}" runs a development server (${dev}), not a production one; not using it`,
    );
  }
  if (
    output !== null &&
    (scripts.start === undefined || dev !== null || nextCannotStart(plan, scripts, output))
  ) {
    applyOutput(plan, output, scripts.build);
  } else if (dev === "nodemon" || dev === "ts-node-dev") {
    addRule(plan, `watcher start script (${dev}) → its entry, run once`);
    plan.start = watcherToNode(scripts.start ?? "") ?? (await startWithoutScript(tree, {}, false));
    if (plan.start === null)
      plan.warnings.push("no entry file for the watcher's server; set a start command");
  } else {
    await spaOrStart(tree, plan, ctx, dev);
  }
}

/** `next start` cannot serve a static export and refuses standalone output. */
function nextCannotStart(plan: BuildPlan, scripts: Record<string, string>, output: FrameworkOutput): boolean {
  if (plan.framework !== "nextjs" || !/^next start\b/.test(scripts.start ?? "")) return false;
  return output.kind === "static" || output.start.includes("/standalone/");
}

async function spaOrStart(tree: RepoTree, plan: BuildPlan, ctx: StartContext, dev: string | null) {
  const spaDir = await spaOutputDir(tree, plan.framework, ctx.deps, ctx.scripts.build);
  if (dev !== null || (spaDir !== null && ctx.scripts.start === undefined)) {
    addRule(
      plan,
      dev !== null ? `dev-server start script (${dev}) → SPA build` : "SPA without a start script",
    );
    applyOutput(plan, { kind: "static", dir: spaDir ?? "dist", warnings: [] }, ctx.scripts.build);
    if (dev !== null) {
      plan.warnings.push(
        `serving the build output ${plan.staticOutputDir}/ statically, with index.html fallback`,
      );
    }
  } else if (plan.start === null) {
    plan.warnings.push("no start script, main file or index.js/server.js; set a start command");
  } else {
    addRule(plan, ctx.scripts.start !== undefined ? "start script" : `entry file → ${plan.start}`);
  }
}

const addRule = (plan: BuildPlan, rule: string) => {
  plan.rules = [...(plan.rules ?? []), rule];
};

function applyOutput(plan: BuildPlan, output: FrameworkOutput, buildScript: string | undefined): void {
  const what =
    output.kind === "server" ? `production server → ${output.start}` : `static output → ${output.dir}/`;
  addRule(plan, `${plan.framework ?? "node"}: ${what}`);
  plan.warnings.push(...output.warnings);
  if (buildScript === undefined) plan.warnings.push(`${plan.framework ?? "node"} app has no build script`);
  if (output.kind === "static") {
    plan.provider = "static";
    plan.staticOutputDir = output.dir;
    plan.start = STATIC_START;
    plan.port = 8080;
    return;
  }
  plan.start = output.start;
  plan.build = [...output.before, ...plan.build, ...output.after];
  Object.assign(plan.env, output.env);
}

/**
 * node-gyp downloads Node's headers from nodejs.org unless told where they are; every Node image we use has
 * them under its prefix (`/usr/local/include/node` in the official ones), so point it there when they exist
 * and offline or mirrored builds compile addons too.
 */
function withLocalNodeHeaders(install: string[]): string[] {
  const last = install.at(-1);
  if (last === undefined) return install;
  const headers =
    'd=$(dirname "$(dirname "$(command -v node)")"); if [ -f "$d/include/node/common.gypi" ]; then export npm_config_nodedir="$d"; fi;';
  return [...install.slice(0, -1), `${headers} ${last}`];
}

/** A package.json `build` script, for the Node build stage of Ruby/PHP/Go repositories. */
export async function nodeBuildStage(tree: RepoTree): Promise<BuildPlan["nodeBuild"]> {
  const pkg = await tree.readJson("package.json");
  const scripts = stringRecord(pkg?.scripts);
  if (pkg === null || scripts.build === undefined) return null;
  const pm = await detectNodePackageManager(tree, pkg);
  return { packageManager: pm.packageManager, install: pm.install, build: [`${pm.run} build`] };
}
