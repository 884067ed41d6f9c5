import { type ApiClient, CliError, createApiClient } from "../client/api-client.ts";
import { flag, type ParsedArgs, parseArgs, requirePositional } from "../client/args.ts";
import { type CliEnv, resolveCredentials, saveCredentials } from "../client/credentials.ts";
import { followLogs } from "../client/follow-logs.ts";
import { loopbackLogin } from "../client/loopback-login.ts";
import { printJson, seg } from "../client/output.ts";
import {
  type AppView,
  type DeploymentView,
  FINAL_STATES,
  type LogEvent,
  type LogLine,
} from "../client/views.ts";
import { appsCreate, appsUpdate } from "./app-settings-flags.ts";
import type { CommandIo } from "./plan.ts";

export interface RemoteContext {
  readonly io: CommandIo;
  readonly env: CliEnv;
  /** For tests: the client to use instead of one built from the credentials. */
  readonly client?: ApiClient;
  readonly pollMs?: number;
}

const clientOf = (ctx: RemoteContext) => ctx.client ?? createApiClient(resolveCredentials(ctx.env));

/** `kli8nt login --url U [--token T] [--no-browser]`: checks the token against the API, then saves it (0600). */
export async function loginCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const args = parseArgs(argv, ["no-browser"]);
  const url = flag(args, "url") ?? ctx.env.KLI8NT_URL ?? "http://127.0.0.1:8080";
  // No token given: the browser sign-in hands one over through a loopback redirect (ADR 0165).
  const token =
    flag(args, "token") ??
    ctx.env.KLI8NT_TOKEN ??
    (await loopbackLogin({
      url,
      print: (line) => ctx.io.stderr.write(line),
      openBrowser: !args.flags.has("no-browser"),
      searchPath: ctx.env.PATH,
    }));
  const client = ctx.client ?? createApiClient({ url, token });
  const me = await client.request<{ login: string }>("GET", "/api/me");
  const file = saveCredentials(ctx.env, { url, token });
  ctx.io.stdout.write(`Logged in to ${url} as ${me.login} (saved in ${file})\n`);
  return 0;
}

/**
 * `kli8nt apps list [--json]`, `kli8nt apps create <name> --repo URL [--branch B] [--root-dir D] [--port P]`
 * (no branch: the repository's default) plus the settings flags, `kli8nt apps update <name> …`, and
 * `kli8nt apps delete <name> --confirm <name>`.
 */
export async function appsCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const [sub, ...rest] = argv;
  const client = clientOf(ctx);
  if (sub === "list" || sub === undefined || sub === "--json") {
    return appsList(client, sub === "--json" || parseArgs(rest, ["json"]).flags.has("json"), ctx.io);
  }
  if (sub === "create") return appsCreate(rest, client, ctx.io);
  if (sub === "update") return appsUpdate(rest, client, ctx.io);
  if (sub === "delete") return appsDelete(rest, client, ctx.io);
  throw new CliError(`unknown apps command "${sub}" (list, create, update, delete)`, "USAGE");
}

async function appsList(client: ApiClient, json: boolean, io: CommandIo): Promise<number> {
  const page = await client.request<{ items: AppView[] }>("GET", "/api/apps?limit=200");
  if (json) {
    printJson(io, page.items);
    return 0;
  }
  for (const app of page.items) {
    const d = app.latestDeployment;
    const deployed = d ? `v${d.number} ${d.state}` : "never deployed";
    io.stdout.write(`${app.name.padEnd(24)} ${deployed.padEnd(20)} ${app.url}\n`);
  }
  return 0;
}

/** Deleting is for good (deployments, variables, logs, images): the name must be typed again. */
async function appsDelete(rest: string[], client: ApiClient, io: CommandIo): Promise<number> {
  const args = parseArgs(rest);
  const app = requirePositional(args, 0, "app name");
  const confirm = flag(args, "confirm");
  if (confirm !== app) {
    throw new CliError(
      `${confirm === undefined ? "Deleting" : `--confirm "${confirm}" does not match; deleting`} ${app} removes its deployments, variables, logs and images for good. To go on, run: kli8nt apps delete ${app} --confirm ${app}`,
      "USAGE",
    );
  }
  await client.request("DELETE", `/api/apps/${seg(app)}`);
  io.stdout.write(`Deleted ${app}\n`);
  return 0;
}

/** `kli8nt deploy <app> [--ref R] [--wait]`: with --wait, streams the build log and ends with the URL or why. */
export async function deployCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const args = parseArgs(argv, ["wait"]);
  const app = requirePositional(args, 0, "app name");
  const client = clientOf(ctx);
  const ref = flag(args, "ref");
  const deployment = await client.request<DeploymentView>(
    "POST",
    `/api/apps/${app}/deployments`,
    ref ? { ref } : {},
  );
  ctx.io.stdout.write(`Queued v${deployment.number} of ${app} (${deployment.id})\n`);
  if (!args.flags.has("wait")) return 0;
  return waitForDeployment(client, app, deployment, ctx);
}

/** `kli8nt rollback <app> <deployment id | vN> [--wait]`: redeploys an earlier live release without a build. */
export async function rollbackCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const args = parseArgs(argv, ["wait"]);
  const app = requirePositional(args, 0, "app name");
  const target = requirePositional(args, 1, "deployment id or vN");
  const client = clientOf(ctx);
  const id = /^v\d+$/.test(target) ? await idOfNumber(client, app, Number(target.slice(1))) : target;
  const deployment = await client.request<DeploymentView>("POST", `/api/apps/${app}/rollback`, {
    deploymentId: id,
  });
  ctx.io.stdout.write(`Rolling ${app} back: v${deployment.number} reuses the image of ${target}\n`);
  return args.flags.has("wait") ? waitForDeployment(client, app, deployment, ctx) : 0;
}

async function idOfNumber(client: ApiClient, app: string, number: number): Promise<string> {
  const page = await client.request<{ items: DeploymentView[] }>(
    "GET",
    `/api/apps/${app}/deployments?limit=200`,
  );
  const found = page.items.find((d) => d.number === number);
  if (!found) throw new CliError(`${app} has no deployment v${number}`, "NOT_FOUND");
  return found.id;
}

async function waitForDeployment(
  client: ApiClient,
  app: string,
  d: DeploymentView,
  ctx: RemoteContext,
): Promise<number> {
  const abort = new AbortController();
  const streaming = followLogs(client, app, {
    deployment: d.id,
    from: 0,
    signal: abort.signal,
    onEvent: (event) => printEvent(event, ctx.io),
  });
  let current = d;
  try {
    while (!FINAL_STATES.has(current.state)) {
      await new Promise((resolve) => setTimeout(resolve, ctx.pollMs ?? 1000));
      current = await client.request<DeploymentView>("GET", `/api/deployments/${d.id}`);
    }
  } finally {
    abort.abort();
    await streaming;
  }
  if (current.state === "live") {
    ctx.io.stdout.write(`v${current.number} is live at ${current.url ?? "(no URL)"}\n`);
    return 0;
  }
  ctx.io.stderr.write(`v${current.number} ${current.state}: ${current.reason ?? "no reason recorded"}\n`);
  return 1;
}

function printEvent(event: LogEvent, io: CommandIo): void {
  if (event.type === "dropped") io.stderr.write(`… ${event.dropped} lines skipped (client too slow)\n`);
  else (event.stream === "stderr" ? io.stderr : io.stdout).write(`${event.line}\n`);
}

/** `kli8nt logs <app> [-f] [--phase build|release|run|cron] [--tail N] [--json]` (--json: one record a line). */
export async function logsCommand(argv: string[], ctx: RemoteContext, signal?: AbortSignal): Promise<number> {
  const args = parseArgs(argv, ["f", "follow", "json"]);
  const print = args.flags.has("json")
    ? (e: LogEvent) => printJson(ctx.io, e)
    : (e: LogEvent) => printEvent(e, ctx.io);
  const app = requirePositional(args, 0, "app name");
  const phase = phaseOf(args);
  const tail = Number(flag(args, "tail") ?? 100);
  const client = clientOf(ctx);
  if (args.flags.has("f") || args.flags.has("follow")) {
    const abort = new AbortController();
    signal?.addEventListener("abort", () => abort.abort(), { once: true });
    process.once("SIGINT", () => abort.abort());
    await followLogs(client, app, {
      phase,
      tail,
      signal: abort.signal,
      onEvent: print,
    });
    return 0;
  }
  const query = new URLSearchParams({ tail: String(tail), ...(phase ? { phase } : {}) });
  const page = await client.request<{ records: LogEvent[] }>("GET", `/api/apps/${app}/logs?${query}`);
  for (const record of page.records) print({ ...record, type: "record" } as LogEvent);
  return 0;
}

const PHASES = ["build", "release", "run", "cron"] as const;

function phaseOf(args: ParsedArgs): LogLine["phase"] | undefined {
  const phase = flag(args, "phase");
  if (phase === undefined) return undefined;
  const known = PHASES.find((p) => p === phase);
  if (known) return known;
  throw new CliError(`--phase is ${PHASES.join(", ")}`, "USAGE");
}

/** `kli8nt status <app> [--json]`: the URL, the live release and the last deployments. */
export async function statusCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const args = parseArgs(argv, ["json"]);
  const app = seg(requirePositional(args, 0, "app name"));
  const client = clientOf(ctx);
  const view = await client.request<AppView>("GET", `/api/apps/${app}`);
  const page = await client.request<{ items: DeploymentView[] }>(
    "GET",
    `/api/apps/${app}/deployments?limit=10`,
  );
  if (args.flags.has("json")) {
    printJson(ctx.io, { app: view, deployments: page.items });
    return 0;
  }
  ctx.io.stdout.write(
    `${view.name}  ${view.url}\nrepository ${view.repository.url} (${view.repository.branch})\n\n`,
  );
  for (const d of page.items) {
    const sha = d.commitSha ? d.commitSha.slice(0, 7) : d.ref;
    ctx.io.stdout.write(
      `v${String(d.number).padEnd(4)} ${d.state.padEnd(11)} ${sha.padEnd(10)} ${d.createdAt}${d.reason ? `  ${d.reason}` : ""}\n`,
    );
    if (d.state === "live") ctx.io.stdout.write(healthLines(d));
  }
  return 0;
}

/** The live release's health: restarts and what a degraded or unavailable condition says. */
function healthLines(d: DeploymentView): string {
  const restarts = d.restarts ?? 0;
  const degraded = d.conditions?.find((c) => c.type === "degraded" && c.status === "true");
  const label = { CrashLoop: "crash loop", Restarting: "restarting" }[degraded?.reason ?? ""] ?? "running";
  let text = `      ${label}, ${restarts} restart${restarts === 1 ? "" : "s"}\n`;
  if (degraded) text += `      ${degraded.reason}: ${degraded.message}\n`;
  return text;
}
