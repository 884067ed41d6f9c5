import { CliError, createApiClient } from "../client/api-client.ts";
import { flag, parseArgs, rejectUnknownFlags, requirePositional } from "../client/args.ts";
import { resolveCredentials } from "../client/credentials.ts";
import { printJson, printTable, seg } from "../client/output.ts";
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

interface PreviewList {
  readonly settings: { mode: string; label: string; max: number; allowForks: boolean };
  readonly items: readonly PreviewView[];
}

const describeSettings = ({ settings: s }: PreviewList) =>
  s.mode === "off"
    ? "Previews are off"
    : `Previews: ${s.mode === "label" ? `pull requests labelled "${s.label}"` : "every pull request"}, at most ${s.max}${s.allowForks ? ", forks too" : ""}`;

/**
 * `kli8nt previews <app> [--json]`: the app's open pull request previews (ADR 0200), with their state, URL
 * and head commit; `--tear-down <n>` tears the preview of pull request n down now.
 */
export async function previewsCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const args = parseArgs(argv, ["json"]);
  rejectUnknownFlags(args, ["json", "tear-down"]);
  const app = requirePositional(args, 0, "app name");
  const client = ctx.client ?? createApiClient(resolveCredentials(ctx.env));
  const base = `/api/apps/${seg(app)}/previews`;
  const teardown = flag(args, "tear-down");
  if (args.flags.has("tear-down")) {
    if (!teardown || !/^[1-9]\d*$/.test(teardown))
      throw new CliError("--tear-down takes a pull request number", "USAGE");
    await client.request("DELETE", `${base}/${teardown}`);
    ctx.io.stdout.write(`Tore down ${app}-pr-${teardown}\n`);
    return 0;
  }
  const list = await client.request<PreviewList>("GET", base);
  if (args.flags.has("json")) {
    printJson(ctx.io, list);
    return 0;
  }
  ctx.io.stderr.write(`${describeSettings(list)}\n`);
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
  return 0;
}
