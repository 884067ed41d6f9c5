import { detectGo } from "./detect/go.ts";
import { detectJava, detectRust } from "./detect/jvm-rust.ts";
import { detectNode, nodeBuildStage, nodeDependencies } from "./detect/node.ts";
import { NODE_WEB_FRAMEWORKS } from "./detect/node-framework.ts";
import { applyOverrides, readRepoOverrides } from "./detect/overrides.ts";
import { applyProcfile, parseProcfile } from "./detect/procfile.ts";
import { detectPython, PYTHON_SIGNALS } from "./detect/python.ts";
import { sanitizePlan } from "./detect/sanitize.ts";
import { detectDeno, detectElixir, detectPhp, detectRuby } from "./detect/scripting.ts";
import { checkStart } from "./detect/start-check.ts";
import { detectStatic } from "./detect/static.ts";
import { BuildPlanError, LOOKED_FOR } from "./errors.ts";
import { basePlan, existing } from "./plan-base.ts";
import { RepoTree } from "./repo-tree.ts";
import type { BuildPlan, DetectOptions } from "./types.ts";

type Detector = (tree: RepoTree) => Promise<BuildPlan | null>;

const any = async (tree: RepoTree, files: string[]) => (await existing(tree, files)).length > 0;

/** Providers tried before node/python, in the documented order (ADR 0010). */
const FIRST: Detector[] = [
  async (t) => ((await any(t, ["composer.json", "index.php", "public/index.php"])) ? detectPhp(t) : null),
  async (t) => ((await t.isFile("go.mod")) ? detectGo(t) : null),
  async (t) => ((await any(t, ["pom.xml", "build.gradle", "build.gradle.kts"])) ? detectJava(t) : null),
  async (t) => ((await t.isFile("Cargo.toml")) ? detectRust(t) : null),
  async (t) => ((await t.isFile("Gemfile")) ? detectRuby(t) : null),
  async (t) => ((await t.isFile("mix.exs")) ? detectElixir(t) : null),
  async (t) => {
    const config = (await t.readJson("deno.json")) ?? (await t.readJson("deno.jsonc"));
    return config !== null ? detectDeno(t, config) : null;
  },
];

/** Rule: node when package.json has a start script or a known web framework, else python; both warn. */
async function detectNodeOrPython(tree: RepoTree): Promise<BuildPlan | null> {
  const pkg = await tree.readJson("package.json");
  const python = await any(tree, PYTHON_SIGNALS);
  if (pkg === null) return python ? detectPython(tree) : null;
  if (!python) return detectNode(tree, pkg);
  const scripts = pkg.scripts as Record<string, unknown> | undefined;
  const deps = nodeDependencies(pkg);
  const nodeWins = typeof scripts?.start === "string" || NODE_WEB_FRAMEWORKS.some((d) => d in deps);
  const plan = nodeWins ? await detectNode(tree, pkg) : await detectPython(tree);
  plan.warnings.push(`both package.json and Python manifests found; building as ${plan.provider}`);
  return plan;
}

async function detectShell(tree: RepoTree): Promise<BuildPlan | null> {
  if (!(await tree.isFile("start.sh"))) return null;
  const plan = basePlan("shell", 8080);
  plan.start = "sh start.sh";
  return plan;
}

async function detectProvider(tree: RepoTree): Promise<BuildPlan | null> {
  for (const detector of [...FIRST, detectNodeOrPython, detectStatic, detectShell]) {
    const plan = await detector(tree);
    if (plan !== null) return plan;
  }
  return null;
}

function dockerfilePlan(name: string): BuildPlan {
  const plan = basePlan("dockerfile", null);
  plan.manifests = [name];
  plan.warnings.push(`using the repository's ${name} unchanged; stack detection skipped`);
  return plan;
}

/**
 * Reads a repository tree (never runs its code) and decides how to build and start it.
 * @throws BuildPlanError `REPO_UNREADABLE` when `dir` is not a readable directory, `STACK_UNDETECTED`
 *   (with `details.lookedFor`) when no provider matches.
 */
export async function detect(dir: string, options: DetectOptions = {}): Promise<BuildPlan> {
  const tree = await RepoTree.open(dir, options.maxFileBytes);
  const own = options.dockerfile ?? (await existing(tree, ["Dockerfile", "Containerfile"]))[0];
  if (options.dockerfile !== undefined && !(await tree.isFile(options.dockerfile))) {
    throw new BuildPlanError(
      "REPO_UNREADABLE",
      `the app's settings name ${options.dockerfile} as the Dockerfile, and the repository has no such file`,
    );
  }
  let plan = own !== undefined ? dockerfilePlan(own) : await detectProvider(tree);
  if (plan === null) {
    throw new BuildPlanError(
      "STACK_UNDETECTED",
      `no supported stack detected; looked for ${LOOKED_FOR.join(", ")}`,
      { lookedFor: [...LOOKED_FOR], warnings: tree.warnings },
    );
  }
  if (plan.provider !== "dockerfile") plan = await refine(tree, plan, options);
  plan.hasDockerignore = await tree.isFile(".dockerignore");
  plan.warnings = [...new Set([...tree.warnings, ...plan.warnings])];
  return plan;
}

async function refine(tree: RepoTree, plan: BuildPlan, options: DetectOptions): Promise<BuildPlan> {
  if (["ruby", "php", "go"].includes(plan.provider)) plan.nodeBuild = await nodeBuildStage(tree);
  const procfile = await tree.read("Procfile");
  if (procfile !== null) applyProcfile(plan, parseProcfile(procfile));
  applyOverrides(plan, await readRepoOverrides(tree, plan.warnings), "kli8nt.json");
  if (options.settings) applyOverrides(plan, options.settings, "settings");
  await checkStart(tree, plan);
  return sanitizePlan(plan);
}
