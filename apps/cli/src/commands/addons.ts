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
  readonly restore: { backupId: string; status: string; detail: string | null } | null;
}

interface BackupView {
  readonly id: string;
  readonly kind: string | null;
  readonly status: string;
  readonly detail: string | null;
  readonly createdAt: string;
  readonly sizeBytes: number | null;
}

interface DumpView {
  readonly id: string;
  readonly database: string;
  readonly createdAt: string;
  readonly sizeBytes: number | null;
  readonly status: string;
}

const USAGE = [
  "kli8nt addons create <app> [--type postgres] [--from-dump <dump id>] [--json]",
  "kli8nt addons list <app> [--json]",
  "kli8nt addons delete <app> <id> --confirm <app>",
  "kli8nt addons backup <app> <id> [--json] | backups <app> <id> [--json] | restore <app> <id> <backup>",
  "kli8nt addons dumps <app> [--json]",
].join("\n       ");

interface Call {
  readonly args: ParsedArgs;
  readonly base: string;
  readonly ctx: RemoteContext;
  readonly client: ReturnType<typeof createApiClient>;
}

const size = (bytes: number | null) => (bytes === null ? "-" : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** The add-on's last restore, for the list's RESTORE column: `<backup> <status>[: detail]`. */
const restoreOf = (a: AddonView) =>
  a.restore
    ? `${a.restore.backupId} ${a.restore.status}${a.restore.detail ? `: ${a.restore.detail}` : ""}`
    : "";

const SUBCOMMANDS: Record<string, { flags: string[]; run: (call: Call) => Promise<void> }> = {
  create: {
    flags: ["type", "from-dump", "json"],
    async run(call) {
      const type = flag(call.args, "type") ?? "postgres";
      const fromDump = flag(call.args, "from-dump");
      const addon = await call.client.request<AddonView>("POST", call.base, {
        type,
        ...(fromDump ? { fromDump } : {}),
      });
      if (call.args.flags.has("json")) return printJson(call.ctx.io, addon);
      call.ctx.io.stdout.write(
        `Created ${addon.type} add-on ${addon.id} (${addon.status}); DATABASE_URL and PG* join the app's env ` +
          "once it is ready: the next deploy or restart picks them up\n",
      );
      if (addon.restore) call.ctx.io.stdout.write(`Restore of ${restoreOf(addon)}\n`);
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
          ["ID", "TYPE", "STATUS", "SIZE", "DATABASE", "RESTORE", "DETAIL"],
          ...items.map((a) => [
            a.id,
            a.type,
            a.status,
            size(a.sizeBytes),
            a.database,
            restoreOf(a),
            a.detail ?? "",
          ]),
        ]);
    },
  },
  backup: {
    flags: ["json"],
    async run(call) {
      const id = requirePositional(call.args, 1, "add-on id");
      const b = await call.client.request<BackupView>("POST", `${call.base}/${seg(id)}/backups`);
      if (call.args.flags.has("json")) return printJson(call.ctx.io, b);
      // In cluster mode the deploy controller takes it: `requested` until then (see backups).
      call.ctx.io.stdout.write(
        b.status === "done"
          ? `Backed up ${id} as ${b.id} (${size(b.sizeBytes)})\n`
          : `Requested backup ${b.id} of ${id} (${b.status}); kli8nt addons backups shows when it is done\n`,
      );
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
          ["BACKUP", "CREATED", "SIZE", "STATUS", "DETAIL"],
          ...items.map((b) => [b.id, b.createdAt, size(b.sizeBytes), b.status, b.detail ?? ""]),
        ]);
    },
  },
  restore: {
    flags: [],
    async run(call) {
      const id = requirePositional(call.args, 1, "add-on id");
      const backup = requirePositional(call.args, 2, "backup id");
      const out = await call.client.request<{ status: string }>(
        "POST",
        `${call.base}/${seg(id)}/backups/${seg(backup)}/restore`,
      );
      call.ctx.io.stdout.write(
        out.status === "done"
          ? `Restored ${id} from ${backup}\n`
          : `Requested restore of ${backup} into ${id}; kli8nt addons list shows its state\n`,
      );
    },
  },
  delete: {
    flags: ["confirm", "json"],
    async run(call) {
      const id = requirePositional(call.args, 1, "add-on id");
      const confirm = flag(call.args, "confirm");
      if (!confirm)
        throw new CliError(`deleting drops the database: give --confirm <app>; usage: ${USAGE}`, "USAGE");
      const out = await call.client.request<{ id: string; dump: { id: string; path: string | null } }>(
        "DELETE",
        `${call.base}/${seg(id)}`,
        { confirm },
      );
      if (call.args.flags.has("json")) return printJson(call.ctx.io, out);
      call.ctx.io.stdout.write(
        out.dump.path
          ? `Deleted ${out.id}; its final dump is ${out.dump.id} at ${out.dump.path}\n`
          : `Deleting ${out.id} once its final dump ${out.dump.id} is done; kli8nt addons dumps shows it\n`,
      );
    },
  },
  dumps: {
    flags: ["json"],
    async run(call) {
      const { items } = await call.client.request<{ items: DumpView[] }>("GET", `${call.base}/dumps`);
      if (call.args.flags.has("json")) return printJson(call.ctx.io, items);
      if (items.length === 0) call.ctx.io.stderr.write("No final dumps\n");
      else
        printTable(call.ctx.io, [
          ["DUMP", "DATABASE", "CREATED", "SIZE", "STATUS"],
          ...items.map((d) => [d.id, d.database, d.createdAt, size(d.sizeBytes), d.status]),
        ]);
    },
  },
};

/** `kli8nt addons create|list|delete|backup|backups|restore|dumps <app> …`: managed PostgreSQL (ADR 0225, 0228). */
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
