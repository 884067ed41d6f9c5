import { createApiClient } from "../client/api-client.ts";
import { parseArgs, rejectUnknownFlags, requirePositional } from "../client/args.ts";
import { openInBrowser } from "../client/browser-opener.ts";
import { resolveCredentials } from "../client/credentials.ts";
import { seg } from "../client/output.ts";
import type { AppView } from "../client/views.ts";
import type { RemoteContext } from "./remote.ts";

/**
 * `kli8nt open <app> [--no-browser]`: opens the app's URL with the platform's opener (xdg-open, open,
 * start). Without one (a server, a container) or with --no-browser, it prints the URL alone on stdout.
 */
export async function openCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const args = parseArgs(argv, ["no-browser"]);
  rejectUnknownFlags(args, ["no-browser"]);
  const name = requirePositional(args, 0, "app name");
  const client = ctx.client ?? createApiClient(resolveCredentials(ctx.env));
  const app = await client.request<AppView>("GET", `/api/apps/${seg(name)}`);
  if (!args.flags.has("no-browser") && openInBrowser(app.url, ctx.env.PATH)) {
    ctx.io.stdout.write(`Opening ${app.url}\n`);
  } else {
    ctx.io.stdout.write(`${app.url}\n`);
  }
  return 0;
}
