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
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const [rawName, inline] = arg.replace(/^-+/, "").split(/=(.*)/s, 2) as [string, string | undefined];
    if (inline !== undefined) flags.set(rawName, inline);
    else if (booleans.includes(rawName)) flags.set(rawName, true);
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--"))
        throw new CliError(`--${rawName} needs a value`, "USAGE");
      flags.set(rawName, value);
      i++;
    }
  }
  return { positional, flags };
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
