import { readFileSync } from "node:fs";
import { z } from "zod";
import { type FieldIssue, Kli8ntError } from "./errors.ts";

/** The environment a loader reads: `process.env` in an app's config.ts, a plain object in tests. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** A configuration that does not validate: `issues` lists every bad variable, the message too. */
export class ConfigError extends Kli8ntError {
  constructor(what: string, issues: readonly FieldIssue[]) {
    const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
    super("input", "CONFIG_INVALID", `Invalid ${what} configuration:\n${lines.join("\n")}`, { issues });
  }
}

/**
 * Reads a component's settings once, at start: the `KLI8NT_*` variables (and any other name `schema`
 * declares, e.g. PATH), empty ones counting as unset, validated and shaped by `schema`. For a declared
 * NAME, `<NAME>_FILE` (unless declared itself, like KLI8NT_BUILD_CA_FILE) names a file holding its value
 * (Kubernetes Secrets mounted as files); NAME set directly wins. Every problem, unreadable files included, is reported in one
 * ConfigError; the result is frozen.
 */
export function loadEnvConfig<S extends z.ZodType>(
  what: string,
  schema: S,
  env: EnvSource,
): Readonly<z.output<S>> {
  const declared = new Set(declaredNames(schema));
  const { values, issues } = envValues(env, declared);
  const result = schema.safeParse(values);
  if (result.success && issues.length === 0) return Object.freeze(result.data) as Readonly<z.output<S>>;
  const all = [...issues, ...(result.error?.issues ?? []).map(fieldIssueOf)];
  throw new ConfigError(what, all);
}

function envValues(env: EnvSource, declared: ReadonlySet<string>) {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value && isRead(key, declared)) values[key] = value;
  }
  const issues: FieldIssue[] = [];
  for (const [key, file] of Object.entries(env)) {
    const name = fileVariantOf(key, declared);
    if (!file || name === undefined || values[name] !== undefined) continue;
    const text = readSecretFile(file);
    if (typeof text === "string") values[name] = text;
    else issues.push({ path: key, message: `cannot read ${file} (${text.reason})` });
  }
  return { values, issues };
}

function readSecretFile(file: string): string | { reason: string } {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (error) {
    return { reason: (error as NodeJS.ErrnoException).code ?? "unreadable" };
  }
}

/** Declared names and undeclared KLI8NT_* ones (refused by a strict schema, stripped otherwise). */
function isRead(key: string, declared: ReadonlySet<string>): boolean {
  return declared.has(key) || (key.startsWith("KLI8NT_") && !key.endsWith("_FILE"));
}

/** NAME when `key` is `<NAME>_FILE` for a declared NAME (and not a setting of its own). */
function fileVariantOf(key: string, declared: ReadonlySet<string>): string | undefined {
  if (!key.startsWith("KLI8NT_") || !key.endsWith("_FILE") || declared.has(key)) return undefined;
  const name = key.slice(0, -"_FILE".length);
  return declared.has(name) ? name : undefined;
}

function fieldIssueOf(issue: z.core.$ZodIssue): FieldIssue {
  return { path: issue.path.join(".") || "config", message: issue.message };
}

/** The variable names an object schema declares, through refinements, transforms and intersections. */
function declaredNames(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodPipe) return declaredNames(schema.in as z.ZodType);
  if (schema instanceof z.ZodIntersection) {
    return [...declaredNames(schema.def.left as z.ZodType), ...declaredNames(schema.def.right as z.ZodType)];
  }
  return [];
}
