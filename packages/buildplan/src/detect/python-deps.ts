import { parse as parseToml } from "smol-toml";
import { isRecord } from "../plan-base.ts";
import type { RepoTree } from "../repo-tree.ts";

/** Declared Python dependencies: PEP 503-normalised name → the extras asked for (`fastapi[standard]`). */
export type PythonDeps = Map<string, Set<string>>;

/** PEP 503 normalisation, so `Django`, `django` and `Flask_SQLAlchemy` compare as pip compares them. */
export const normalizeName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** `name[extra1, extra2] >= 1.0 ; marker` (PEP 508), or null for options, URLs and comments. */
export function parseRequirement(line: string): { name: string; extras: string[] } | null {
  const text = line.replace(/(^|\s)#.*$/, "").trim();
  const m = text.match(/^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?/);
  if (!m?.[1]) return null;
  const extras = (m[2] ?? "")
    .split(",")
    .map((e) => normalizeName(e.trim()))
    .filter((e) => e !== "");
  return { name: normalizeName(m[1]), extras };
}

function add(deps: PythonDeps, spec: { name: string; extras: string[] } | null): void {
  if (spec === null) return;
  const set = deps.get(spec.name) ?? new Set<string>();
  for (const e of spec.extras) set.add(e);
  deps.set(spec.name, set);
}

/** requirements.txt, following `-r other.txt` includes (relative, a few levels deep, no cycles). */
async function readRequirements(tree: RepoTree, path: string, deps: PythonDeps, seen: Set<string>) {
  if (seen.has(path) || seen.size > 8) return;
  seen.add(path);
  const text = await tree.read(path);
  if (text === null) return;
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const include = line.match(/^(?:-r|--requirement)[\s=]+(\S+)/)?.[1];
    if (include && !include.includes("..") && !include.startsWith("/")) {
      await readRequirements(tree, `${dir}${include}`, deps, seen);
    } else if (!line.startsWith("-")) add(deps, parseRequirement(line));
  }
}

/** Poetry / Pipfile tables: `name = "^1"` or `name = { version = "^1", extras = ["standard"] }`. */
function addTable(deps: PythonDeps, table: unknown): void {
  if (!isRecord(table)) return;
  for (const [name, value] of Object.entries(table)) {
    if (normalizeName(name) === "python") continue;
    const extras = isRecord(value) && Array.isArray(value.extras) ? value.extras.map(String) : [];
    add(deps, { name: normalizeName(name), extras: extras.map(normalizeName) });
  }
}

function addList(deps: PythonDeps, list: unknown): void {
  if (Array.isArray(list)) for (const item of list) add(deps, parseRequirement(String(item)));
}

function tomlOf(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Every runtime dependency the repository declares (requirements.txt, pyproject.toml, Pipfile). */
export async function readPythonDeps(tree: RepoTree): Promise<PythonDeps> {
  const deps: PythonDeps = new Map();
  await readRequirements(tree, "requirements.txt", deps, new Set());
  const pyproject = tomlOf(await tree.read("pyproject.toml"));
  const project = isRecord(pyproject.project) ? pyproject.project : {};
  addList(deps, project.dependencies);
  const tool = isRecord(pyproject.tool) ? pyproject.tool : {};
  const poetry = isRecord(tool.poetry) ? tool.poetry : {};
  addTable(deps, poetry.dependencies);
  const pipfile = tomlOf(await tree.read("Pipfile"));
  addTable(deps, pipfile.packages);
  return deps;
}

/**
 * Packages that a dependency brings with it when asked for an extra (or always): `fastapi[standard]` and
 * `fastapi[all]` install uvicorn, so a FastAPI app declaring only them has its server.
 */
const BRINGS: Record<string, Record<string, string[]>> = {
  fastapi: { standard: ["uvicorn"], all: ["uvicorn"] },
  "fastapi-cli": { standard: ["uvicorn"] },
  "uvicorn-worker": { "*": ["uvicorn", "gunicorn"] },
  "django-heroku": { "*": ["whitenoise", "gunicorn"] },
};

/** Whether `name` is declared, directly or through a dependency's extra that brings it. */
export function provides(deps: PythonDeps, name: string): boolean {
  if (deps.has(name)) return true;
  return [...deps].some(([dep, extras]) => {
    const brings = BRINGS[dep] ?? {};
    return ["*", ...extras].some((extra) => (brings[extra] ?? []).includes(name));
  });
}
