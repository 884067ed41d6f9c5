import { CliError } from "../client/api-client.ts";
import type { CommandIo } from "./plan.ts";

/** `GET /api/apps/:name/previews` `settings` (ADR 0200, 0201, 0203). */
export interface PreviewSettingsView {
  readonly mode: string;
  readonly label: string;
  readonly max: number;
  readonly allowForks: boolean;
  readonly database: string;
  readonly logRetentionDays: number;
}

type SettingValue = string | number | boolean;

const whole = (key: string, value: string): number => {
  if (!/^\d+$/.test(value)) throw new CliError(`${key} takes a whole number, not "${value}"`, "USAGE");
  return Number(value);
};

/**
 * What each `--set KEY=VALUE` key becomes in the `previews` patch. Only the value's type is checked here;
 * ranges and choices (mode, database, max 1–20, …) are the api's to refuse, with its own detail.
 */
const KEYS: Readonly<Record<string, (key: string, value: string) => SettingValue>> = {
  mode: (_, value) => value,
  label: (_, value) => value,
  max: whole,
  database: (_, value) => value,
  logRetentionDays: whole,
  allowForks: (key, value) => {
    if (value !== "true" && value !== "false")
      throw new CliError(`${key} takes true or false, not "${value}"`, "USAGE");
    return value === "true";
  },
};

/** `mode=label max=3 allowForks=false …` as the `previews` object of `PATCH /api/apps/:name`. */
export function parsePreviewSettings(pairs: readonly string[]): Record<string, SettingValue> {
  if (pairs.length === 0)
    throw new CliError(
      `give at least one KEY=VALUE after --set; keys: ${Object.keys(KEYS).join(", ")}`,
      "USAGE",
    );
  const patch: Record<string, SettingValue> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const key = at > 0 ? pair.slice(0, at) : pair;
    const parse = KEYS[key];
    if (at <= 0 || !parse)
      throw new CliError(`"${pair}": give KEY=VALUE, KEY one of ${Object.keys(KEYS).join(", ")}`, "USAGE");
    patch[key] = parse(key, pair.slice(at + 1));
  }
  return patch;
}

/** The settings as aligned `key  value` lines, in the words the Previews tab uses. */
export function printPreviewSettings(io: CommandIo, s: PreviewSettingsView): void {
  const rows: [string, string][] = [
    ["mode", s.mode === "label" ? `label (pull requests labelled "${s.label}")` : s.mode],
    ["label", s.label],
    ["max", `${s.max} at a time, the oldest torn down first`],
    ["allowForks", s.allowForks ? "true (forks deployed, without secrets)" : "false"],
    ["database", `${s.database} (with a Postgres add-on)`],
    ["logRetentionDays", `${s.logRetentionDays} (a closed preview's logs)`],
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  for (const [key, value] of rows) io.stdout.write(`${key.padEnd(width)}  ${value}\n`);
}
