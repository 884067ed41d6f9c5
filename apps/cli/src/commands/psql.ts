import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { CliError, createApiClient } from "../client/api-client.ts";
import { resolveCredentials } from "../client/credentials.ts";
import { seg } from "../client/output.ts";
import {
  type ClusterPsqlTarget,
  execClusterPsql,
  loadUserKubeConfig,
  type PsqlStreams,
} from "./psql-cluster.ts";
import type { RemoteContext } from "./remote.ts";

const USAGE = "kli8nt psql <app> [psql arguments…]   e.g. kli8nt psql shop -c 'select 1'";

interface AddonView {
  readonly id: string;
  readonly type: string;
  readonly status: string;
  readonly detail: string | null;
}

/** A cluster add-on answers `cluster` only: its password stays in the cluster (ADR 0226, 0229). */
type Connection = ServerConnection | { readonly cluster: ClusterPsqlTarget };

interface ServerConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly local: { readonly host: string; readonly port: number } | null;
}

/** How a cluster add-on's psql runs: exec into its pod with the user's kubeconfig. */
export type RunClusterPsql = (
  env: Record<string, string | undefined>,
  target: ClusterPsqlTarget,
  args: string[],
) => Promise<number>;

export const runClusterPsql: RunClusterPsql = (env, target, args) =>
  execClusterPsql(loadUserKubeConfig(env), target, args, {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  } satisfies PsqlStreams);

/** How psql runs: the real spawn, or a test's. Resolves with psql's exit code. */
export type RunPsql = (command: string, args: string[], env: Record<string, string>) => Promise<number>;

function findOnPath(name: string, searchPath: string | undefined): string | null {
  for (const dir of (searchPath ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory: look in the next
    }
  }
  return null;
}

/** psql in the foreground on this terminal; Ctrl-C belongs to psql (it cancels a query), not to us. */
export const runPsql: RunPsql = (command, args, env) =>
  new Promise((resolve, reject) => {
    const ignore = () => undefined;
    process.on("SIGINT", ignore);
    const child = spawn(command, args, { stdio: "inherit", env });
    const done = () => process.off("SIGINT", ignore);
    child.on("error", (err) => {
      done();
      reject(new CliError(`could not run ${command}: ${err.message}`));
    });
    child.on("exit", (code, signal) => {
      done();
      resolve(code ?? (signal ? 128 + 2 : 1));
    });
  });

/** The app's ready PostgreSQL add-on, or a CliError saying what to do. */
async function readyAddon(client: ReturnType<typeof createApiClient>, app: string): Promise<AddonView> {
  const { items } = await client.request<{ items: AddonView[] }>("GET", `/api/apps/${seg(app)}/addons`);
  const addon = items.find((a) => a.type === "postgres");
  if (!addon)
    throw new CliError(
      `app "${app}" has no PostgreSQL add-on: create one with kli8nt addons create ${app}`,
      "NOT_FOUND",
    );
  if (addon.status !== "ready")
    throw new CliError(
      `the PostgreSQL add-on of "${app}" is ${addon.status}${addon.detail ? `: ${addon.detail}` : ""}; ` +
        `see kli8nt addons list ${app}`,
    );
  return addon;
}

/**
 * `kli8nt psql <app> [psql args…]` (issue 25): a psql session into the app's add-on database. On the
 * platform's machine (local mode) the connection comes from the owner-only reveal and reaches psql as PG*
 * variables of its environment only: the password is never printed nor put on a command line. In cluster
 * mode the reveal names the add-on's pod and psql runs there, by exec through the user's kubeconfig
 * (ADR 0229): no local psql is needed and no password leaves the cluster.
 */
export async function psqlCommand(
  argv: string[],
  ctx: RemoteContext,
  inherited: Record<string, string>,
  run: RunPsql = runPsql,
  runCluster: RunClusterPsql = runClusterPsql,
): Promise<number> {
  const [app, ...rest] = argv;
  if (!app || app.startsWith("-")) throw new CliError(`name the app; usage: ${USAGE}`, "USAGE");
  const args = rest[0] === "--" ? rest.slice(1) : rest;
  const psql = findOnPath("psql", ctx.env.PATH);
  const client = ctx.client ?? createApiClient(resolveCredentials(ctx.env));
  const addon = await readyAddon(client, app);
  const c = await client.request<Connection>(
    "GET",
    `/api/apps/${seg(app)}/addons/${seg(addon.id)}/connection`,
  );
  if ("cluster" in c) {
    const t = c.cluster;
    ctx.io.stderr.write(`Connecting to ${t.database} in pod ${t.namespace}/${t.pod} as ${t.user}\n`);
    return runCluster(inherited, t, args);
  }
  if (!psql)
    throw new CliError(
      "psql is not installed (not found on PATH): install the PostgreSQL client, e.g. " +
        "apt-get install postgresql-client (Debian, Ubuntu) or brew install libpq (macOS)",
    );
  // Apps may know the server by a name only their containers resolve; this machine uses its own address.
  const host = c.local?.host ?? c.host;
  const port = c.local?.port ?? c.port;
  ctx.io.stderr.write(`Connecting to ${c.database} on ${host}:${port} as ${c.user}\n`);
  return run(psql, args, {
    ...inherited,
    PGHOST: host,
    PGPORT: String(port),
    PGUSER: c.user,
    PGPASSWORD: c.password,
    PGDATABASE: c.database,
    PGAPPNAME: "kli8nt psql",
  });
}
