import { CliError, createApiClient } from "../client/api-client.ts";
import { flag, type ParsedArgs, parseArgs, rejectUnknownFlags, requirePositional } from "../client/args.ts";
import { resolveCredentials } from "../client/credentials.ts";
import { printJson, printTable, seg } from "../client/output.ts";
import type { RemoteContext } from "./remote.ts";

interface CronRunView {
  readonly id: string;
  readonly scheduledAt: string;
  readonly state: string;
  readonly exitCode: number | null;
  readonly reason: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

interface CronJobView {
  readonly name: string;
  readonly schedule: string;
  readonly command: string;
  readonly nextRunAt: string | null;
  readonly lastRun: CronRunView | null;
}

const USAGE = [
  'kli8nt cron add <app> <name> --schedule "0 3 * * *" --command "<command>"',
  "kli8nt cron list <app> [--json]",
  "kli8nt cron runs <app> <name> [--limit n] [--json]",
  "kli8nt cron remove <app> <name>",
].join("\n       ");

interface Call {
  readonly args: ParsedArgs;
  readonly base: string;
  readonly ctx: RemoteContext;
  readonly client: ReturnType<typeof createApiClient>;
}

const jobUrl = (call: Call) => `${call.base}/${seg(requirePositional(call.args, 1, "cron job name"))}`;
const lastRun = (run: CronRunView | null) =>
  run
    ? `${run.state}${run.exitCode === null ? "" : ` (exit ${run.exitCode})`} ${run.scheduledAt}`
    : "never ran";

const SUBCOMMANDS: Record<string, { flags: string[]; run: (call: Call) => Promise<void> }> = {
  add: {
    flags: ["schedule", "command", "json"],
    async run(call) {
      const schedule = flag(call.args, "schedule");
      const command = flag(call.args, "command");
      if (!schedule || !command)
        throw new CliError(`give --schedule and --command; usage: ${USAGE}`, "USAGE");
      const name = requirePositional(call.args, 1, "cron job name");
      const job = await call.client.request<CronJobView>("POST", call.base, { name, schedule, command });
      if (call.args.flags.has("json")) return printJson(call.ctx.io, job);
      call.ctx.io.stdout.write(
        `Added ${job.name} (${job.schedule} UTC); next run ${job.nextRunAt ?? "never"}\n`,
      );
    },
  },
  list: {
    flags: ["json"],
    async run(call) {
      const { items } = await call.client.request<{ items: CronJobView[] }>("GET", call.base);
      if (call.args.flags.has("json")) return printJson(call.ctx.io, items);
      if (items.length === 0) call.ctx.io.stderr.write("No cron jobs\n");
      else
        printTable(call.ctx.io, [
          ["NAME", "SCHEDULE (UTC)", "NEXT RUN", "LAST RUN", "COMMAND"],
          ...items.map((j) => [j.name, j.schedule, j.nextRunAt ?? "never", lastRun(j.lastRun), j.command]),
        ]);
    },
  },
  runs: {
    flags: ["limit", "json"],
    async run(call) {
      const limit = flag(call.args, "limit") ?? "20";
      if (!/^\d+$/.test(limit)) throw new CliError("--limit takes a number", "USAGE");
      const page = await call.client.request<{ items: CronRunView[] }>(
        "GET",
        `${jobUrl(call)}/runs?limit=${limit}`,
      );
      if (call.args.flags.has("json")) return printJson(call.ctx.io, page.items);
      if (page.items.length === 0) call.ctx.io.stderr.write("No runs yet\n");
      else
        printTable(call.ctx.io, [
          ["SCHEDULED", "STATE", "EXIT", "FINISHED", "REASON"],
          ...page.items.map((r) => [
            r.scheduledAt,
            r.state,
            r.exitCode === null ? "-" : String(r.exitCode),
            r.finishedAt ?? "-",
            r.reason ?? "",
          ]),
        ]);
    },
  },
  remove: {
    flags: [],
    async run(call) {
      await call.client.request("DELETE", jobUrl(call));
      call.ctx.io.stdout.write(`Removed ${call.args.positional[1]}\n`);
    },
  },
};

/** `kli8nt cron add|list|runs|remove <app> …`: commands on a schedule, run in the current release. */
export async function cronCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const [sub = "", ...rest] = argv;
  const command = SUBCOMMANDS[sub];
  if (!command) throw new CliError(`unknown cron command "${sub}"; usage: ${USAGE}`, "USAGE");
  const args = parseArgs(rest, ["json"]);
  rejectUnknownFlags(args, command.flags);
  const base = `/api/apps/${seg(requirePositional(args, 0, "app name"))}/cron`;
  const client = ctx.client ?? createApiClient(resolveCredentials(ctx.env));
  await command.run({ args, base, ctx, client });
  return 0;
}
