import { type ApiClient, CliError, createApiClient } from "../client/api-client.ts";
import { parseArgs, rejectUnknownFlags, requirePositional } from "../client/args.ts";
import { resolveCredentials } from "../client/credentials.ts";
import { printJson, printTable, seg } from "../client/output.ts";
import type { AppView, DeploymentView } from "../client/views.ts";
import type { RemoteContext } from "./remote.ts";

export interface ProcessView {
  readonly type: string;
  readonly count: number;
  readonly memory: string;
  readonly cpu: string;
  readonly command: string | null;
}

export interface FormationView {
  readonly stopped: boolean;
  readonly processes: readonly ProcessView[];
}

type Change = { type: string; count?: number; memory?: string; cpu?: string };

const clientOf = (ctx: RemoteContext) => ctx.client ?? createApiClient(resolveCredentials(ctx.env));

/** `web=2`, `web=2:1Gi`, `web=2:1Gi:0.5`, `worker=:512Mi` (size only); the api checks sizes and limits. */
export function parseScale(arg: string): Change {
  const match = /^([a-z][a-z0-9-]*)=(\d*)(?::([^:]*))?(?::([^:]*))?$/.exec(arg);
  if (!match)
    throw new CliError(`"${arg}" is not TYPE=COUNT[:MEMORY[:CPU]], e.g. web=2 or web=2:1Gi`, "USAGE");
  const [, type = "", count, memory, cpu] = match;
  const change: Change = { type };
  if (count) change.count = Number(count);
  if (memory) change.memory = memory;
  if (cpu) change.cpu = cpu;
  if (Object.keys(change).length === 1) throw new CliError(`"${arg}" changes nothing`, "USAGE");
  return change;
}

/** `kli8nt scale <app> web=2 worker=1 [--json]`: changes counts and sizes without a rebuild. */
export async function scaleCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const args = parseArgs(argv, ["json"]);
  rejectUnknownFlags(args, ["json"]);
  const app = requirePositional(args, 0, "app name");
  const processes = args.positional.slice(1).map(parseScale);
  if (processes.length === 0) throw new CliError("give at least one TYPE=COUNT, e.g. web=2", "USAGE");
  const formation = await clientOf(ctx).request<FormationView>("PATCH", `/api/apps/${seg(app)}/formation`, {
    processes,
  });
  if (args.flags.has("json")) printJson(ctx.io, formation);
  else printFormation(ctx, app, formation);
  return 0;
}

function printFormation(ctx: RemoteContext, app: string, formation: FormationView): void {
  ctx.io.stdout.write(`Scaled ${app}${formation.stopped ? " (stopped: runs after `kli8nt start`)" : ""}\n`);
  printTable(ctx.io, [
    ["TYPE", "COUNT", "SIZE"],
    ...formation.processes.map((p) => [p.type, String(p.count), `${p.memory} ${p.cpu} CPU`]),
  ]);
}

/** What a process type is doing, from the formation and the live release's conditions. */
function stateOf(p: ProcessView, formation: FormationView, live: DeploymentView | null): string {
  if (formation.stopped) return "stopped";
  if (p.count === 0) return "scaled to 0";
  if (!live) return "not deployed";
  const degraded = live.conditions?.find((c) => c.type === "degraded" && c.status === "true");
  if (degraded?.reason === "CrashLoop") return "crash loop";
  if (degraded) return "restarting";
  return "running";
}

/** `kli8nt ps <app> [--json]`: every process type with its count, size, state and the release's restarts. */
export async function psCommand(argv: string[], ctx: RemoteContext): Promise<number> {
  const args = parseArgs(argv, ["json"]);
  rejectUnknownFlags(args, ["json"]);
  const app = requirePositional(args, 0, "app name");
  const client = clientOf(ctx);
  const [formation, live] = await Promise.all([
    client.request<FormationView>("GET", `/api/apps/${seg(app)}/formation`),
    liveRelease(client, app),
  ]);
  const processes = formation.processes.map((p) => ({ ...p, state: stateOf(p, formation, live) }));
  const release = live ? { id: live.id, number: live.number, restarts: live.restarts ?? 0 } : null;
  if (args.flags.has("json")) {
    printJson(ctx.io, { app, stopped: formation.stopped, release, processes });
    return 0;
  }
  ctx.io.stdout.write(
    release ? `${app}: release v${release.number}, ${plural(release.restarts, "restart")}\n` : `${app}\n`,
  );
  printTable(ctx.io, [
    ["TYPE", "COUNT", "SIZE", "STATE", "COMMAND"],
    ...processes.map((p) => [
      p.type,
      String(p.count),
      `${p.memory} ${p.cpu} CPU`,
      p.state,
      p.command ?? "(image CMD)",
    ]),
  ]);
  return 0;
}

async function liveRelease(client: ApiClient, app: string): Promise<DeploymentView | null> {
  const page = await client.request<{ items: DeploymentView[] }>(
    "GET",
    `/api/apps/${seg(app)}/deployments?limit=50`,
  );
  return page.items.find((d) => d.state === "live") ?? null;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

const DONE = {
  restart: "Restarting %s: every instance is replaced, one at a time",
  stop: "Stopped %s: every process scaled to 0, its URL answers a stopped page",
  start: "Starting %s with its last formation",
} as const;

/** `kli8nt restart|stop|start <app> [--json]`: accepted (202), then converged by the controllers. */
export async function lifecycleCommand(
  action: keyof typeof DONE,
  argv: string[],
  ctx: RemoteContext,
): Promise<number> {
  const args = parseArgs(argv, ["json"]);
  rejectUnknownFlags(args, ["json"]);
  const app = requirePositional(args, 0, "app name");
  const view = await clientOf(ctx).request<AppView>("POST", `/api/apps/${seg(app)}/${action}`);
  if (args.flags.has("json")) printJson(ctx.io, view);
  else ctx.io.stdout.write(`${DONE[action].replace("%s", app)}\n`);
  return 0;
}
