import type { EnvVar } from "./api/types.ts";
import { envKeyProblem, envValueProblem } from "./validation.ts";

/** One editable variable. A stored secret's value is never known here: `keep` sends null to keep it. */
export interface EnvRow {
  readonly id: number;
  readonly key: string;
  readonly value: string;
  readonly secret: boolean;
  /** A secret saved earlier whose value stays as stored unless the user types a new one. */
  readonly keep: boolean;
  /** Kept as loaded, so saving the form never drops a variable's build flag. */
  readonly build: boolean;
}

let nextId = 1;

export function newRow(secret = false): EnvRow {
  return { id: nextId++, key: "", value: "", secret, keep: false, build: false };
}

export function toRows(vars: readonly EnvVar[]): EnvRow[] {
  return vars.map((v) => ({
    id: nextId++,
    key: v.key,
    value: v.value ?? "",
    secret: v.secret,
    keep: v.secret && v.value === null,
    build: v.build ?? false,
  }));
}

/** Rows with an empty key and value are ignored, so a blank trailing row never blocks a save. */
export function toVars(rows: readonly EnvRow[]): EnvVar[] {
  return rows
    .filter((r) => !isBlank(r))
    .map((r) => ({ key: r.key.trim(), value: r.keep ? null : r.value, secret: r.secret, build: r.build }));
}

function isBlank(row: EnvRow): boolean {
  return row.key.trim() === "" && row.value === "" && !row.keep;
}

/** Problems by row id and field ("key" or "value"), as the api would report them. */
export function rowProblems(rows: readonly EnvRow[]): Map<string, string> {
  const problems = new Map<string, string>();
  const seen = new Set<string>();
  for (const row of rows) {
    if (isBlank(row)) continue;
    const key = row.key.trim();
    const keyProblem = envKeyProblem(key) ?? (seen.has(key) ? "keys must be unique" : null);
    if (keyProblem) problems.set(`${row.id}:key`, keyProblem);
    seen.add(key);
    const valueProblem = row.keep ? null : envValueProblem(row.value);
    if (valueProblem) problems.set(`${row.id}:value`, valueProblem);
  }
  return problems;
}

/** Maps the api's `vars.3.key` style paths back to row fields (index among the rows sent). */
export function apiProblems(rows: readonly EnvRow[], errors: Record<string, string>): Map<string, string> {
  const sent = rows.filter((r) => !isBlank(r));
  const problems = new Map<string, string>();
  for (const [path, message] of Object.entries(errors)) {
    const match = /^vars\.(\d+)\.(key|value)/.exec(path);
    const row = match ? sent[Number(match[1])] : undefined;
    if (row && match) problems.set(`${row.id}:${match[2]}`, message);
  }
  return problems;
}
