import { CliError, createApiClient } from "../client/api-client.ts";
import { flag, type ParsedArgs, parseArgs, rejectUnknownFlags, requirePositional } from "../client/args.ts";
import { resolveCredentials } from "../client/credentials.ts";
import { printJson, printTable, seg } from "../client/output.ts";
import type { RemoteContext } from "./remote.ts";

interface AddonView {
  readonly id: string;
  readonly type: string;
  readonly status: string;
  readonly detail: string | null;
  readonly sizeBytes: number | null;
  readonly database: string;
}

interface BackupView {
  readonly id: string;
  readonly createdAt: string;
  readonly sizeBytes: number;
}

const USAGE = [
  "kli8nt addons create <app> [--type postgres] [--json]",
  "kli8nt addons list <app> [--json]",
  "kli8nt addons delete <app> <id> --confirm <app>",
  "kli8nt addons backup <app> <id> [--json] | backups <app> <id> [--json] | restore <app> <id> <backup>",
].join("\n       ");

interface Call {
  readonly args: ParsedArgs;
  readonly base: string;
  readonly ctx: RemoteContext;
  readonly client: ReturnType<typeof createApiClient>;
}

const size = (bytes: number | null) => (bytes === null ? "-" : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

const SUBCOMMANDS: Record<string, { flags: string[]; run: (call: Call) => Promise<void> }> = {
  create: {
    flags: ["type", "json"],
    async run(call) {
      const type = flag(call.args, "type") ?? "postgres";
      const addon = await call.client.request<AddonView>("POST", call.base, { type });
      if (call.args.flags.has("json")) return printJson(call.ctx.io, addon);
      call.ctx.io.stdout.write(
        `Created ${addon.type} add-on ${addon.id} (${addon.status}); DATABASE_URL and PG* join the app's env ` +
          "once it is ready: the next deploy or restart picks them up\n",
      );
    },
  },
  list: {
    flags: ["json"],
    async run(call) {
      const { items } = await call.client.request<{ items: AddonView[] }>("GET", call.base);
      if (call.args.flags.has("json")) return printJson(call.ctx.io, items);
      if (items.length === 0) call.ctx.io.stderr.write("No add-ons\n");
      else
        printTable(call.ctx.io, [
          ["ID", "TYPE", "STATUS", "SIZE", "DATABASE", "DETAIL"],
          ...items.map((a) => [a.id, a.type, a.status, size(a.sizeBytes), a.database, a.detail ?? ""]),
        ]);
    },
  },
  backup: {
    flags: ["json"],
    async run(call) {
      const id = requirePositional(call.args, 1, "add-on id");
      const b = await call.client.request<BackupView>("POST", `${call.base}/${seg(id)}/backups`);
      if (call.args.flags.has("json")) return printJson(call.ctx.io, b);
      call.ctx.io.stdout.write(`Backed up ${id} as ${b.id} (${size(b.sizeBytes)})\n`);
    },
  },
  backups: {
    flags: ["json"],
    async run(call) {
      const id = requirePositional(call.args, 1, "add-on id");
      const { items } = await call.client.request<{ items: BackupView[] }>(
        "GET",
        `${call.base}/${seg(id)}/backups`,
      );
      if (call.args.flags.has("json")) return printJson(call.ctx.io, items);
      if (items.length === 0) call.ctx.io.stderr.write("No backups\n");
      else
        printTable(call.ctx.io, [
          ["BACKUP", "CREATED", "SIZE"],
          ...items.map((b) => [b.id, b.createdAt, size(b.sizeBytes)]),
        ]);
    },
  },
  restore: {
    flags: [],
    async run(call) {
      const id = requirePositional(call.args, 1, "add-on id");
      const backup = requirePositional(call.args, 2, "backup id");
      await call.client.request("POST", `${call.base}/${seg(id)}/backups/${seg(backup)}/restore`);
      call.ctx.io.stdout.write(`Restored ${id} from ${backup}\n`);
    },
  },
  delete: {
    flags: ["confirm", "json"],
    async run(call) {
      const id = requirePositional(call.args, 1, "add-on id");
      const confirm = flag(call.args, "confirm");
      if (!confirm)
        throw new CliError(`deleting drops the database: give --confirm <app>; usage: ${USAGE}`, "USAGE");
      const out = await call.client.request<{ id: string; dump: { path: string } }>(
        "DELETE",
        `${call.base}/${seg(id)}`,
        { confirm },
      );
      if (call.args.flags.has("json")) return printJson(call.ctx.io, out);
      call.ctx.io.stdout.write(`Deleted ${out.id}; its final dump is ${out.dump.path}\n`);
    },
  },
};

/** `kli8nt addons create|list|delete <app> …`: managed PostgreSQL (issue 25, ADR 0225). */
export async function addonsCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const [sub = "", ...rest] = argv;
  const command = SUBCOMMANDS[sub];
  if (!command) throw new CliError(`unknown addons command "${sub}"; usage: ${USAGE}`, "USAGE");
  const args = parseArgs(rest, ["json"]);
  rejectUnknownFlags(args, command.flags);
  const base = `/api/apps/${seg(requirePositional(args, 0, "app name"))}/addons`;
  const client = ctx.client ?? createApiClient(resolveCredentials(ctx.env));
  await command.run({ args, base, ctx, client });
  return 0;
}
