import { type ApiClient, CliError, createApiClient } from "../client/api-client.ts";
import { flag, type ParsedArgs, parseArgs, rejectUnknownFlags, requirePositional } from "../client/args.ts";
import { resolveCredentials } from "../client/credentials.ts";
import { printJson, printTable, seg } from "../client/output.ts";
import { type PreviewSettingsView, parsePreviewSettings, printPreviewSettings } from "./preview-settings.ts";
import type { RemoteContext } from "./remote.ts";

interface PreviewView {
  readonly number: number;
  readonly app: string;
  readonly state: string;
  readonly url: string;
  readonly pullRequest: { readonly number: number; readonly title: string; readonly url: string };
  readonly head: { readonly repo: string; readonly ref: string; readonly sha: string };
  readonly fork: boolean;
  readonly createdAt: string;
}

/** A torn-down preview whose logs the retention still keeps (ADR 0203). */
interface ClosedPreviewView {
  readonly number: number;
  readonly app: string;
  readonly title: string;
  readonly closedAt: string;
  readonly logsUntil: string;
}

interface PreviewList {
  readonly settings: PreviewSettingsView;
  readonly items: readonly PreviewView[];
  readonly closed: readonly ClosedPreviewView[];
}

interface Call {
  readonly app: string;
  readonly base: string;
  readonly args: ParsedArgs;
  readonly client: ApiClient;
  readonly ctx: RemoteContext;
}

/**
 * `kli8nt previews <app> [--json]`: the app's preview settings, open pull request previews (ADR 0200) and
 * recently closed ones with when their logs go (ADR 0203); `--set KEY=VALUE…` changes the settings,
 * `--tear-down <n>` tears the preview of pull request n down now.
 */
export async function previewsCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const args = parseArgs(argv, ["json", "set"]);
  rejectUnknownFlags(args, ["json", "set", "tear-down"]);
  const app = requirePositional(args, 0, "app name");
  const client = ctx.client ?? createApiClient(resolveCredentials(ctx.env));
  const call = { app, base: `/api/apps/${seg(app)}/previews`, args, client, ctx };
  if (args.flags.has("set") && args.flags.has("tear-down"))
    throw new CliError("give either --set or --tear-down, not both", "USAGE");
  if (args.flags.has("set")) return setSettings(call);
  const extra = args.positional[1];
  if (extra !== undefined)
    throw new CliError(`unexpected "${extra}": to change settings, give --set KEY=VALUE…`, "USAGE");
  if (args.flags.has("tear-down")) return tearDown(call);
  return show(call);
}

async function tearDown({ app, base, args, client, ctx }: Call): Promise<number> {
  const number = flag(args, "tear-down");
  if (!number || !/^[1-9]\d*$/.test(number))
    throw new CliError("--tear-down takes a pull request number", "USAGE");
  await client.request("DELETE", `${base}/${number}`);
  ctx.io.stdout.write(`Tore down ${app}-pr-${number}\n`);
  return 0;
}

/** PATCHes the app's `previews`; an api refusal (a bad mode, max 25, …) becomes exit 1 with its detail. */
async function setSettings({ app, base, args, client, ctx }: Call): Promise<number> {
  // `--set=mode=all` is a pair too, not only the positionals after the app.
  const inline = flag(args, "set");
  const patch = parsePreviewSettings([...(inline ? [inline] : []), ...args.positional.slice(1)]);
  await client.request("PATCH", `/api/apps/${seg(app)}`, { previews: patch });
  const { settings } = await client.request<PreviewList>("GET", base);
  if (args.flags.has("json")) {
    printJson(ctx.io, settings);
    return 0;
  }
  ctx.io.stderr.write(`Saved the preview settings of ${app}; they apply from the next pull request event\n`);
  printPreviewSettings(ctx.io, settings);
  return 0;
}

async function show({ base, args, client, ctx }: Call): Promise<number> {
  const list = await client.request<PreviewList>("GET", base);
  if (args.flags.has("json")) {
    printJson(ctx.io, list);
    return 0;
  }
  printPreviewSettings(ctx.io, list.settings);
  ctx.io.stdout.write("\n");
  if (list.items.length === 0) ctx.io.stderr.write("No open previews\n");
  else
    printTable(ctx.io, [
      ["PR", "STATE", "URL", "HEAD", "TITLE"],
      ...list.items.map((p) => [
        `#${p.number}${p.fork ? " (fork)" : ""}`,
        p.state,
        p.url,
        `${p.head.ref}@${p.head.sha.slice(0, 7)}`,
        p.pullRequest.title,
      ]),
    ]);
  if (list.closed.length === 0) return 0;
  ctx.io.stdout.write("\nRecently closed\n");
  printTable(ctx.io, [
    ["PR", "CLOSED", "LOGS UNTIL", "TITLE"],
    ...list.closed.map((c) => [`#${c.number}`, c.closedAt, c.logsUntil, c.title]),
  ]);
  return 0;
}
