import { type ApiClient, CliError, createApiClient } from "../client/api-client.ts";
import { type ParsedArgs, parseArgs, rejectUnknownFlags, requirePositional } from "../client/args.ts";
import { resolveCredentials } from "../client/credentials.ts";
import { printJson, printTable, seg } from "../client/output.ts";
import type { RemoteContext } from "./remote.ts";

interface EnvVar {
  readonly key: string;
  /** null for a secret: the api never sends a secret's value back. */
  readonly value: string | null;
  readonly secret: boolean;
  readonly build: boolean;
}

const USAGE = [
  "kli8nt env list <app> [--json]",
  "kli8nt env set <app> KEY=VALUE… [--secret] [--build]",
  "kli8nt env unset <app> KEY…",
].join("\n       ");

/**
 * `kli8nt env list|set|unset`. The api replaces the whole set on PUT, so set and unset read it, change the
 * named keys and write it back; a secret goes back as null, which keeps its stored value.
 */
export async function envCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const [sub, ...rest] = argv;
  const args = parseArgs(rest, ["json", "secret", "build"]);
  const client = ctx.client ?? createApiClient(resolveCredentials(ctx.env));
  const base = `/api/apps/${seg(requirePositional(args, 0, "app name"))}/env`;
  const pairs = args.positional.slice(1);
  switch (sub) {
    case "list":
      rejectUnknownFlags(args, ["json"]);
      return envList(client, base, args, ctx);
    case "set":
      rejectUnknownFlags(args, ["secret", "build"]);
      return envSet(client, base, pairs.map(parsePair), args, ctx);
    case "unset":
      rejectUnknownFlags(args, []);
      return envUnset(client, base, pairs, ctx);
    default:
      throw new CliError(`unknown env command "${sub ?? ""}"; usage: ${USAGE}`, "USAGE");
  }
}

async function envList(client: ApiClient, base: string, args: ParsedArgs, ctx: RemoteContext) {
  const { vars } = await client.request<{ vars: EnvVar[] }>("GET", base);
  if (args.flags.has("json")) {
    printJson(ctx.io, vars);
    return 0;
  }
  if (vars.length === 0) ctx.io.stderr.write("No variables set\n");
  const kind = (v: EnvVar) => [v.secret ? "secret" : "", v.build ? "build" : ""].filter(Boolean).join(",");
  printTable(
    ctx.io,
    vars.map((v) => [v.key, v.secret ? "(secret, hidden)" : (v.value ?? ""), kind(v)]),
  );
  return 0;
}

function parsePair(pair: string): { key: string; value: string } {
  const at = pair.indexOf("=");
  if (at <= 0) throw new CliError(`"${pair}" is not KEY=VALUE`, "USAGE");
  return { key: pair.slice(0, at), value: pair.slice(at + 1) };
}

/** --secret/--build set the kind; without them a variable keeps the kind it had (new ones: plain, runtime). */
async function envSet(
  client: ApiClient,
  base: string,
  pairs: readonly { key: string; value: string }[],
  args: ParsedArgs,
  ctx: RemoteContext,
) {
  if (pairs.length === 0) throw new CliError(`give at least one KEY=VALUE; usage: ${USAGE}`, "USAGE");
  const { vars } = await client.request<{ vars: EnvVar[] }>("GET", base);
  const next = new Map(vars.map((v) => [v.key, v]));
  for (const { key, value } of pairs) {
    const old = next.get(key);
    // Spread first: fields this CLI does not know (preview, …) stay as the api has them.
    next.set(key, {
      ...old,
      key,
      value,
      secret: args.flags.has("secret") || (old?.secret ?? false),
      build: args.flags.has("build") || (old?.build ?? false),
    });
  }
  await client.request("PUT", base, { vars: [...next.values()] });
  // Keys only: a value, secret or not, may be a credential and terminals end up in screenshots and logs.
  const keys = pairs.map((p) => p.key).join(", ");
  ctx.io.stdout.write(`Set ${keys}${args.flags.has("secret") ? " (secret)" : ""}; deploy to apply\n`);
  return 0;
}

async function envUnset(client: ApiClient, base: string, keys: readonly string[], ctx: RemoteContext) {
  if (keys.length === 0) throw new CliError(`give at least one KEY; usage: ${USAGE}`, "USAGE");
  const { vars } = await client.request<{ vars: EnvVar[] }>("GET", base);
  const missing = keys.filter((k) => !vars.some((v) => v.key === k));
  // Unsetting what is not set is not an error: scripts can run it twice.
  if (missing.length > 0) ctx.io.stderr.write(`Not set: ${missing.join(", ")}\n`);
  const kept = vars.filter((v) => !keys.includes(v.key));
  if (kept.length !== vars.length) await client.request("PUT", base, { vars: kept });
  ctx.io.stdout.write(`Unset ${keys.filter((k) => !missing.includes(k)).join(", ") || "nothing"}\n`);
  return 0;
}
