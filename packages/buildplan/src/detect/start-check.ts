import { BuildPlanError } from "../errors.ts";
import type { RepoTree } from "../repo-tree.ts";
import type { BuildPlan } from "../types.ts";
import { provides, readPythonDeps } from "./python-deps.ts";
import { binaryPath } from "./runtime-files.ts";

/**
 * Start commands written for another platform's build (Heroku's buildpacks above all) name paths and scripts
 * that our runtime image does not hold. Well-known ones are translated to what we built; what cannot run fails
 * the plan with the reason, instead of shipping an image that crash-loops (issue 26).
 */

/** The document root (last plain argument) and the Apache/nginx/FPM options we cannot honour. */
function buildpackArgs(text: string): { docroot: string; ignored: string[] } {
  const args = text.trim().split(/\s+/).filter(Boolean);
  let docroot = ".";
  const ignored: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (/^-[CFil]$/.test(arg)) ignored.push(`${arg} ${args[++i] ?? ""}`.trim());
    else if (arg.startsWith("-")) ignored.push(arg);
    else docroot = arg.replace(/\/+$/, "") || ".";
  }
  return { docroot: /^(?!\/)(?!.*\.\.)[\w.@/+-]+$/.test(docroot) ? docroot : ".", ignored };
}

/** `heroku-php-apache2 [-C conf] [-F fpm.conf] [-i ini] [-l log] web/` → FrankenPHP serving that document root. */
function translatePhp(plan: BuildPlan, start: string): boolean {
  const m = start.match(/^(?:(?:\.\/)?vendor\/bin\/)?heroku-php-(?:apache2|nginx)\b(.*)$/);
  if (!m) return false;
  const { docroot, ignored } = buildpackArgs(m[1] ?? "");
  plan.staticOutputDir = docroot;
  plan.start = `frankenphp php-server --listen :$PORT --root ${docroot}/`;
  plan.warnings.push(
    `translated Heroku's "${start}" to FrankenPHP serving ${docroot}/${ignored.length ? ` (ignored ${ignored.join(", ")}: Apache/nginx/FPM settings do not apply)` : ""}`,
  );
  return true;
}

/** `java … -jar target/x.jar` / `build/libs/*.jar` → the jar the build copied to /app/app.jar. */
function translateJar(plan: BuildPlan, start: string): boolean {
  const jar = start.match(/-jar\s+(\S+\.jar)\b/)?.[1];
  if (jar === undefined || jar === "/app/app.jar") return false;
  if (!/^(\.\/)?((target|build\/libs|[\w.-]+\/build\/libs)\/|\$\(ls)/.test(jar) && !jar.includes("*"))
    return false;
  plan.start = start.replace(jar, "/app/app.jar");
  plan.warnings.push(`start command's ${jar} is the jar the build produced: using /app/app.jar`);
  return true;
}

/**
 * Heroku's Go binaries live in `bin/<name>` (`./<name>` after a hand-run `go build`); Rust's in
 * `target/release/<name>`: a path the repository does not hold can only be the build's output, our binary.
 */
async function translateBinary(tree: RepoTree, plan: BuildPlan, start: string): Promise<boolean> {
  const [exe = "", ...rest] = start.split(/\s+/);
  const built =
    (plan.provider === "go" && /^(\.\/|(\.\/)?bin\/)[\w.-]+$/.test(exe)) ||
    (plan.provider === "rust" && /^(\.\/)?target\/release\/[\w.-]+$/.test(exe));
  if (!built || (await tree.isFile(exe))) return false;
  plan.start = [binaryPath(plan), ...rest].join(" ");
  plan.warnings.push(`start command's ${exe} is the binary the build produced: using ${binaryPath(plan)}`);
  return true;
}

const NODE_TOOLS = /^(node|npm|npx|yarn|pnpm|bun|deno)$/;

/** Why the runtime image cannot run `start`, or null when nothing says it cannot. */
async function unrunnable(tree: RepoTree, plan: BuildPlan, start: string): Promise<string | null> {
  const exe = start.replace(/^(exec\s+|[A-Z_][A-Z0-9_]*=\S*\s+)+/, "").split(/\s+/)[0] ?? "";
  if (/(^|\/)heroku-/.test(exe)) return `${exe} exists only in Heroku's buildpacks`;
  if (NODE_TOOLS.test(exe) && plan.nodeBuild === null)
    return `${exe} is not in the ${plan.provider} runtime image (Node builds only assets here)`;
  if (/^(mvn|mvnw|\.\/mvnw|gradle|\.\/gradlew|cargo|go)$/.test(exe))
    return `${exe} is a build tool; the runtime image holds only what it built`;
  const relative = /^(\.\/|bin\/|target\/|build\/)/.test(exe);
  const compiled = ["go", "rust", "java"].includes(plan.provider);
  if (!relative) return null;
  if (compiled && !plan.keepRepoFiles)
    return `${exe} is not in the runtime image (it holds only the build's output)`;
  if (!(await tree.isFile(exe.replace(/^\.\//, "")))) return `${exe} is not in the repository`;
  return null;
}

/** Python servers started by name: their distribution must be installed (directly or through an extra). */
const PYTHON_SERVERS = ["gunicorn", "uvicorn", "daphne", "hypercorn", "waitress-serve", "celery", "granian"];

/** A Python start command naming a server the dependencies do not install: a warning (it may be transitive). */
async function warnMissingServer(tree: RepoTree, plan: BuildPlan, start: string): Promise<void> {
  const exe = start.split(/\s+/)[0] ?? "";
  if (plan.provider !== "python" || !PYTHON_SERVERS.includes(exe)) return;
  const name = exe === "waitress-serve" ? "waitress" : exe;
  if (provides(await readPythonDeps(tree), name)) return;
  const warning = `the start command runs ${exe}, which no dependency declares; add ${name} to the dependencies`;
  if (!plan.warnings.some((w) => w.includes(`without ${name}`))) plan.warnings.push(warning);
}

/** Translates a start command written for another build; throws START_UNRUNNABLE when it cannot run here. */
export async function checkStart(tree: RepoTree, plan: BuildPlan): Promise<void> {
  const start = plan.start;
  if (start === null || ["node", "static", "deno", "dockerfile"].includes(plan.provider)) return;
  if (plan.provider === "php" && translatePhp(plan, start)) return;
  if (plan.provider === "java" && translateJar(plan, start)) return;
  if (await translateBinary(tree, plan, start)) return;
  const why = await unrunnable(tree, plan, start);
  if (why === null) return warnMissingServer(tree, plan, start);
  throw new BuildPlanError(
    "START_UNRUNNABLE",
    `the start command "${start}" cannot run in the built image: ${why}; set a start command (kli8nt.json "start" or the app's settings)`,
    { start, provider: plan.provider, reason: why },
  );
}
