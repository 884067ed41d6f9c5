import type { ApiClient } from "../client/api-client.ts";
import { CliError } from "../client/api-client.ts";
import { flag, type ParsedArgs, parseArgs, requirePositional } from "../client/args.ts";
import type { AppView } from "../client/views.ts";
import type { CommandIo } from "./plan.ts";

/** Flag → the api's buildSettings key: settings that override the build plan (ADR 0156). */
const SETTING_FLAGS = {
  "install-command": "installCommand",
  "build-command": "buildCommand",
  "start-command": "startCommand",
  dockerfile: "dockerfilePath",
  target: "buildTarget",
  "health-check-path": "healthCheckPath",
} as const;

/** The build settings the flags give; an empty value (`--start-command ""`) clears that setting. */
export function buildSettingsFromFlags(args: ParsedArgs): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [name, key] of Object.entries(SETTING_FLAGS)) {
    const value = flag(args, name);
    if (value !== undefined) out[key] = value === "" ? null : value;
  }
  return out;
}

/** `kli8nt apps create <name> --repo URL [--branch b] [--root-dir d] [--port p] [settings flags]`. */
export async function appsCreate(rest: string[], client: ApiClient, io: CommandIo): Promise<number> {
  const args = parseArgs(rest);
  const name = requirePositional(args, 0, "app name");
  const url = flag(args, "repo");
  if (!url) throw new CliError("give --repo <git URL>", "USAGE");
  const port = flag(args, "port");
  const branch = flag(args, "branch");
  const rootDir = flag(args, "root-dir");
  const buildSettings = buildSettingsFromFlags(args);
  const app = await client.request<AppView>("POST", "/api/apps", {
    name,
    // No branch: the api resolves the repository's own default branch.
    repository: { url, ...(branch ? { branch } : {}), ...(rootDir ? { rootDir } : {}) },
    ...(port ? { port: Number(port) } : {}),
    ...(Object.keys(buildSettings).length > 0 ? { buildSettings } : {}),
  });
  io.stdout.write(`Created ${app.name}: it will answer at ${app.url}\n${describeSettings(app)}`);
  return 0;
}

/** `kli8nt apps update <name> [--branch b] [--root-dir d] [--port p|""] [settings flags]`. */
export async function appsUpdate(rest: string[], client: ApiClient, io: CommandIo): Promise<number> {
  const args = parseArgs(rest);
  const name = requirePositional(args, 0, "app name");
  const repository: Record<string, string> = {};
  for (const [flagName, key] of [
    ["repo", "url"],
    ["branch", "branch"],
    ["root-dir", "rootDir"],
  ] as const) {
    const value = flag(args, flagName);
    if (value !== undefined) repository[key] = value;
  }
  const port = flag(args, "port");
  const buildSettings = buildSettingsFromFlags(args);
  const body = {
    ...(Object.keys(repository).length > 0 ? { repository } : {}),
    ...(port !== undefined ? { port: port === "" ? null : Number(port) } : {}),
    ...(Object.keys(buildSettings).length > 0 ? { buildSettings } : {}),
  };
  if (Object.keys(body).length === 0) throw new CliError("nothing to change: give a flag to update", "USAGE");
  const app = await client.request<AppView>("PATCH", `/api/apps/${name}`, body);
  io.stdout.write(`Updated ${app.name}\n${describeSettings(app)}`);
  return 0;
}

/** The app's settings as `key value` lines: branch, then each plan override that is set. */
export function describeSettings(app: AppView): string {
  const lines = [`branch ${app.repository.branch}`];
  for (const [key, value] of Object.entries(app.buildSettings ?? {})) lines.push(`${key} ${value}`);
  return `${lines.map((l) => `  ${l}`).join("\n")}\n`;
}
