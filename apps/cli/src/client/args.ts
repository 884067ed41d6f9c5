import { CliError } from "./api-client.ts";

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: ReadonlyMap<string, string | true>;
}

/** `--name value`, `--name=value` and boolean `--flag`/`-f`; `booleans` lists flags that take no value. */
export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("-") || arg === "-") positional.push(arg);
    else i += readFlag(arg, argv[i + 1], booleans, flags);
  }
  return { positional, flags };
}

/** Stores one flag; returns 1 when it consumed the next argument as its value. */
function readFlag(
  arg: string,
  next: string | undefined,
  booleans: readonly string[],
  flags: Map<string, string | true>,
): number {
  const [name, inline] = arg.replace(/^-+/, "").split(/=(.*)/s, 2) as [string, string | undefined];
  if (inline !== undefined || booleans.includes(name)) {
    flags.set(name, inline ?? true);
    return 0;
  }
  if (next === undefined || next.startsWith("--")) throw new CliError(`--${name} needs a value`, "USAGE");
  flags.set(name, next);
  return 1;
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === "string" ? value : undefined;
}

export function requirePositional(args: ParsedArgs, index: number, what: string): string {
  const value = args.positional[index];
  if (!value) throw new CliError(`missing ${what}`, "USAGE");
  return value;
}

/** Flags the command does not know are a usage mistake, not something to ignore silently. */
export function rejectUnknownFlags(args: ParsedArgs, known: readonly string[]): void {
  const unknown = [...args.flags.keys()].filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new CliError(`unknown flag --${unknown[0]}`, "USAGE");
}
