import { parse as parseToml } from "smol-toml";
import { basePlan, existing, firstLine, isRecord, pickVersion, toolVersion } from "../plan-base.ts";
import type { RepoTree } from "../repo-tree.ts";
import type { BuildPlan } from "../types.ts";
import { planDjango } from "./django.ts";
import { addNativePackages, PYTHON_NATIVE } from "./native-deps.ts";
import { type PythonDeps, provides, readPythonDeps } from "./python-deps.ts";

export const PYTHON_SIGNALS = [
  "requirements.txt",
  "pyproject.toml",
  "Pipfile",
  "setup.py",
  "uv.lock",
  "poetry.lock",
];
const MAIN_FILES = ["main", "app", "server", "start", "bot"];
const MANIFESTS = ["requirements.txt", "pyproject.toml", "poetry.lock", "uv.lock", "Pipfile", "Pipfile.lock"];

async function readToml(
  tree: RepoTree,
  path: string,
  warnings: string[],
): Promise<Record<string, unknown> | null> {
  const text = await tree.read(path);
  if (text === null) return null;
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch {
    warnings.push(`ignored ${path}: invalid TOML`);
    return null;
  }
}

function pythonInstall(plan: BuildPlan, pyproject: Record<string, unknown> | null, has: Set<string>): void {
  const tool = isRecord(pyproject?.tool) ? pyproject.tool : {};
  const backend = isRecord(pyproject?.["build-system"])
    ? String(pyproject["build-system"]["build-backend"])
    : "";
  plan.install = ["python -m venv /opt/venv"];
  if (has.has("uv.lock")) {
    plan.packageManager = "uv";
    plan.env.UV_PROJECT_ENVIRONMENT = "/opt/venv";
    // Two phases: dependencies alone (cached layer), then the project once the source is there.
    plan.install.push("pip install uv", "uv sync --locked --no-dev --no-install-project");
    plan.build.push("uv sync --locked --no-dev --no-editable");
  } else if (has.has("poetry.lock") || "poetry" in tool || backend.startsWith("poetry")) {
    plan.packageManager = "poetry";
    plan.install.push(
      "pip install 'poetry>=2,<3'",
      "poetry install --only main --no-root --no-interaction --no-ansi",
    );
  } else if (has.has("Pipfile")) {
    plan.packageManager = "pipenv";
    plan.install.push("pip install pipenv", "pipenv install --deploy --system");
  } else if (has.has("requirements.txt")) {
    plan.packageManager = "pip";
    plan.install.push("pip install -r requirements.txt");
  } else {
    plan.packageManager = "pip";
    plan.build.push("pip install .");
  }
}

/** Which main file (main.py, app.py…) exists, and the WSGI/ASGI variable it defines for a framework. */
async function mainModule(
  tree: RepoTree,
  ctor: string | null,
): Promise<{ module: string; variable: string } | null> {
  let first: { module: string; variable: string } | null = null;
  for (const name of MAIN_FILES) {
    const text = await tree.read(`${name}.py`);
    if (text === null) continue;
    first ??= { module: name, variable: "app" };
    const m = ctor ? text.match(new RegExp(`^(\\w+)\\s*=\\s*${ctor}\\(`, "m")) : null;
    if (m?.[1]) return { module: name, variable: m[1] };
  }
  return first;
}

/** WSGI/ASGI frameworks: constructor in the main file, server command, and the server dependency. */
const SERVERS: Record<string, { ctor: string; dep: string; start: (m: string, v: string) => string }> = {
  fastapi: {
    ctor: "FastAPI",
    dep: "uvicorn",
    start: (m, v) => `uvicorn ${m}:${v} --host 0.0.0.0 --port $PORT`,
  },
  flask: { ctor: "Flask", dep: "gunicorn", start: (m, v) => `gunicorn --bind 0.0.0.0:$PORT ${m}:${v}` },
};

async function pythonStart(tree: RepoTree, plan: BuildPlan, deps: PythonDeps): Promise<void> {
  if (plan.framework === "django") return planDjango(tree, plan);
  const server = plan.framework ? SERVERS[plan.framework] : undefined;
  const main = await mainModule(tree, server?.ctor ?? null);
  if (main && server) plan.start = server.start(main.module, main.variable);
  else if (main) plan.start = `python ${main.module}.py`;
  if (server && !provides(deps, server.dep))
    plan.warnings.push(`${plan.framework} app without ${server.dep} in its dependencies`);
  if (plan.start === null)
    plan.warnings.push(`no ${MAIN_FILES.map((f) => `${f}.py`).join("/")}; set a start command`);
}

/** Python apps: requirements.txt, pyproject.toml, Pipfile or setup.py. */
export async function detectPython(tree: RepoTree): Promise<BuildPlan> {
  const plan = basePlan("python", 8000);
  const pyproject = await readToml(tree, "pyproject.toml", plan.warnings);
  const has = new Set(await existing(tree, [...MANIFESTS, "setup.py"]));
  plan.manifests = MANIFESTS.filter((m) => has.has(m));
  pythonInstall(plan, pyproject, has);
  plan.env = { ...plan.env, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" };
  const deps = await readPythonDeps(tree);
  // Source builds need headers and a compiler at build time and the shared library at run time.
  addNativePackages(plan, PYTHON_NATIVE, deps);
  if (deps.has("django") || (await tree.isFile("manage.py"))) plan.framework = "django";
  else if (deps.has("fastapi")) plan.framework = "fastapi";
  else if (deps.has("flask")) plan.framework = "flask";
  await pythonStart(tree, plan, deps);
  const project = isRecord(pyproject?.project) ? pyproject.project : {};
  await pickVersion(plan, "python", [
    [".python-version", () => firstLine(tree, ".python-version")],
    ["runtime.txt", async () => (await firstLine(tree, "runtime.txt"))?.replace(/^python-/, "")],
    [
      "pyproject.toml",
      async () => (typeof project["requires-python"] === "string" ? project["requires-python"] : null),
    ],
    [".tool-versions", () => toolVersion(tree, "python")],
  ]);
  return plan;
}
