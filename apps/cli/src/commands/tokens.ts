import { CliError, createApiClient } from "../client/api-client.ts";
import { flag, parseArgs, requirePositional } from "../client/args.ts";
import { resolveCredentials } from "../client/credentials.ts";
import type { RemoteContext } from "./remote.ts";

interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
}

const USAGE = "kli8nt tokens create <name> [--expires-in-days N|never] | list [--json] | revoke <id>";

/** `kli8nt tokens create|list|revoke`: the signed-in user's API tokens (ADR 0165). */
export async function tokensCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const [sub, ...rest] = argv;
  const client = ctx.client ?? createApiClient(resolveCredentials(ctx.env));
  const args = parseArgs(rest, ["json"]);
  switch (sub) {
    case "create": {
      const name = requirePositional(args, 0, "token name");
      const created = await client.request<TokenView & { token: string }>("POST", "/api/tokens", {
        name,
        expiresInDays: expiresInDays(flag(args, "expires-in-days")),
      });
      if (args.flags.has("json")) {
        ctx.io.stdout.write(`${JSON.stringify(created)}\n`);
        return 0;
      }
      // The value goes alone on stdout so `TOKEN=$(kli8nt tokens create ci)` captures just it.
      ctx.io.stderr.write(
        `Created ${created.id} "${created.name}", ${expiry(created.expiresAt)}. It is shown only now:\n`,
      );
      ctx.io.stdout.write(`${created.token}\n`);
      return 0;
    }
    case "list":
    case undefined: {
      const { items } = await client.request<{ items: TokenView[] }>("GET", "/api/tokens");
      if (args.flags.has("json")) {
        ctx.io.stdout.write(`${JSON.stringify(items)}\n`);
        return 0;
      }
      for (const t of items) {
        const used = t.lastUsedAt ? `used ${t.lastUsedAt}` : "never used";
        ctx.io.stdout.write(
          `${t.id.padEnd(30)} ${t.name.padEnd(24)} ${used.padEnd(32)} ${expiry(t.expiresAt)}\n`,
        );
      }
      return 0;
    }
    case "revoke": {
      const id = requirePositional(args, 0, "token id");
      await client.request("DELETE", `/api/tokens/${encodeURIComponent(id)}`);
      ctx.io.stdout.write(`Revoked ${id}\n`);
      return 0;
    }
    default:
      throw new CliError(`unknown tokens command "${sub}"; usage: ${USAGE}`, "USAGE");
  }
}

/** Omitted: the api's default (90 days); `never`: no expiry. */
function expiresInDays(raw: string | undefined): number | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === "never") return null;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    throw new CliError("--expires-in-days takes a whole number of days from 1 to 366, or never", "USAGE");
  }
  return days;
}

const expiry = (at: string | null) => (at ? `expires ${at}` : "never expires");
