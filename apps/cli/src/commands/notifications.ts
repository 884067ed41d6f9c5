import { CliError, createApiClient } from "../client/api-client.ts";
import { flag, parseArgs, requirePositional } from "../client/args.ts";
import { resolveCredentials } from "../client/credentials.ts";
import type { RemoteContext } from "./remote.ts";

interface DestinationView {
  readonly id: string;
  readonly type: string;
  readonly target: string;
  readonly events: string[];
  readonly secret?: string;
}

interface DeliveryView {
  readonly id: string;
  readonly event: string;
  readonly state: string;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
}

const USAGE = [
  "kli8nt notifications add <app|--default> (--webhook URL | --slack URL | --email ADDRESS) [--events a,b]",
  "kli8nt notifications list <app|--default> [--json]",
  "kli8nt notifications remove|test <app|--default> <id>",
  "kli8nt notifications deliveries <app|--default> <id> [--json]",
].join("\n       ");

type Client = ReturnType<typeof createApiClient>;
interface Call {
  readonly client: Client;
  readonly base: string;
  readonly args: ReturnType<typeof parseArgs>;
  /** Where the id is among the positionals: after the app name, or first with --default. */
  readonly idAt: number;
  readonly ctx: RemoteContext;
}

const out = (call: Call, text: string) => void call.ctx.io.stdout.write(text);
const itemUrl = (call: Call) =>
  `${call.base}/${encodeURIComponent(requirePositional(call.args, call.idAt, "notification id"))}`;

const SUBCOMMANDS: Record<string, (call: Call) => Promise<void>> = {
  async add(call) {
    const created = await call.client.request<DestinationView>("POST", call.base, destinationOf(call.args));
    out(call, `Added ${created.id} (${created.type} → ${created.target}; ${created.events.join(", ")})\n`);
    if (!created.secret) return;
    call.ctx.io.stderr.write("Signing secret, shown only now (verify X-Kli8nt-Signature-256 with it):\n");
    out(call, `${created.secret}\n`);
  },
  async list(call) {
    const { items } = await call.client.request<{ items: DestinationView[] }>("GET", call.base);
    if (call.args.flags.has("json")) return out(call, `${JSON.stringify(items)}\n`);
    for (const d of items)
      out(call, `${d.id}  ${d.type.padEnd(8)} ${d.target.padEnd(40)} ${d.events.join(",")}\n`);
  },
  async remove(call) {
    const url = itemUrl(call);
    await call.client.request("DELETE", url);
    out(call, `Removed ${url.split("/").at(-1)}\n`);
  },
  async test(call) {
    const r = await call.client.request<{ deliveryId: string }>("POST", `${itemUrl(call)}/test`, {});
    out(call, `Queued test delivery ${r.deliveryId}\n`);
  },
  async deliveries(call) {
    const url = `${itemUrl(call)}/deliveries`;
    const { items } = await call.client.request<{ items: DeliveryView[] }>("GET", url);
    if (call.args.flags.has("json")) return out(call, `${JSON.stringify(items)}\n`);
    for (const d of items) {
      const answer = `${d.lastStatus ?? "-"}  ${d.lastError ?? ""}`;
      out(
        call,
        `${d.createdAt}  ${d.event.padEnd(20)} ${d.state.padEnd(9)} attempts ${d.attempts}  ${answer}\n`,
      );
    }
  },
};

/** `kli8nt notifications …`: where an app's (or, with --default, all your apps') events are sent. */
export async function notificationsCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const [sub = "list", ...rest] = argv;
  const run = SUBCOMMANDS[sub];
  if (!run) throw new CliError(`unknown notifications command "${sub}"; usage: ${USAGE}`, "USAGE");
  const args = parseArgs(rest, ["json", "default"]);
  const isDefault = args.flags.has("default");
  const base = isDefault
    ? "/api/notifications"
    : `/api/apps/${encodeURIComponent(requirePositional(args, 0, "app name"))}/notifications`;
  const client = ctx.client ?? createApiClient(resolveCredentials(ctx.env));
  await run({ client, base, args, idAt: isDefault ? 0 : 1, ctx });
  return 0;
}

function destinationOf(args: ReturnType<typeof parseArgs>): Record<string, unknown> {
  const events = flag(args, "events")
    ?.split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  const withEvents = events ? { events } : {};
  const webhook = flag(args, "webhook");
  const slack = flag(args, "slack");
  const email = flag(args, "email");
  if ([webhook, slack, email].filter((v) => v !== undefined).length !== 1) {
    throw new CliError(`give one of --webhook, --slack or --email; usage: ${USAGE}`, "USAGE");
  }
  if (webhook) return { type: "webhook", url: webhook, ...withEvents };
  if (slack) return { type: "slack", url: slack, ...withEvents };
  return { type: "email", to: email, ...withEvents };
}
