import { CliError, createApiClient } from "../client/api-client.ts";
import { type ParsedArgs, parseArgs, rejectUnknownFlags, requirePositional } from "../client/args.ts";
import { resolveCredentials } from "../client/credentials.ts";
import { printJson, printTable, seg } from "../client/output.ts";
import type { RemoteContext } from "./remote.ts";

interface DomainView {
  readonly hostname: string;
  readonly status: "pending" | "active" | "error";
  /** What to do next (the DNS record to create) or why the certificate failed. */
  readonly detail: string;
  readonly target: string;
  readonly createdAt: string;
}

const USAGE = [
  "kli8nt domains add <app> <hostname> [--json]",
  "kli8nt domains list <app> [--json]",
  "kli8nt domains remove <app> <hostname>",
].join("\n       ");

interface Call {
  readonly args: ParsedArgs;
  readonly base: string;
  readonly ctx: RemoteContext;
  readonly client: ReturnType<typeof createApiClient>;
}

// Sent as typed: the api normalises (case, trailing dot, punycode) on add and on remove alike.
const hostnameArg = (args: ParsedArgs) => requirePositional(args, 1, "hostname");

const SUBCOMMANDS: Record<string, { flags: string[]; run: (call: Call) => Promise<void> }> = {
  add: {
    flags: ["json"],
    async run(call) {
      const hostname = hostnameArg(call.args);
      const domain = await call.client.request<DomainView>("POST", call.base, { hostname });
      if (call.args.flags.has("json")) return printJson(call.ctx.io, domain);
      call.ctx.io.stdout.write(`Added ${domain.hostname} (${domain.status})\n`);
      call.ctx.io.stderr.write(`${domain.detail}\n`);
    },
  },
  list: {
    flags: ["json"],
    async run(call) {
      const { items } = await call.client.request<{ items: DomainView[] }>("GET", call.base);
      if (call.args.flags.has("json")) return printJson(call.ctx.io, items);
      if (items.length === 0) call.ctx.io.stderr.write("No custom domains\n");
      else
        printTable(call.ctx.io, [
          ["HOSTNAME", "STATUS", "DETAIL"],
          ...items.map((d) => [d.hostname, d.status, d.detail]),
        ]);
    },
  },
  remove: {
    flags: [],
    async run(call) {
      const hostname = hostnameArg(call.args);
      await call.client.request("DELETE", `${call.base}/${seg(hostname)}`);
      call.ctx.io.stdout.write(`Removed ${hostname}\n`);
    },
  },
};

/** `kli8nt domains add|list|remove <app> …`: custom domains with their certificate status (issue 25). */
export async function domainsCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const [sub = "", ...rest] = argv;
  const command = SUBCOMMANDS[sub];
  if (!command) throw new CliError(`unknown domains command "${sub}"; usage: ${USAGE}`, "USAGE");
  const args = parseArgs(rest, ["json"]);
  rejectUnknownFlags(args, command.flags);
  const base = `/api/apps/${seg(requirePositional(args, 0, "app name"))}/domains`;
  const client = ctx.client ?? createApiClient(resolveCredentials(ctx.env));
  await command.run({ args, base, ctx, client });
  return 0;
}
