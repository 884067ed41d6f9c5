import { exitCodeOf } from "./client/exit-codes.ts";
import { terminalSafeStream } from "./client/terminal-safe.ts";
import { addonsCommand } from "./commands/addons.ts";
import { cronCommand } from "./commands/cron.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { domainsCommand } from "./commands/domains.ts";
import { envCommand } from "./commands/env.ts";
import { metricsCommand } from "./commands/metrics.ts";
import { notificationsCommand } from "./commands/notifications.ts";
import { openCommand } from "./commands/open.ts";
import { planCommand } from "./commands/plan.ts";
import { previewsCommand } from "./commands/previews.ts";
import { lifecycleCommand, psCommand, scaleCommand } from "./commands/processes.ts";
import { psqlCommand } from "./commands/psql.ts";
import {
  appsCommand,
  deployCommand,
  loginCommand,
  logsCommand,
  type RemoteContext,
  rollbackCommand,
  statusCommand,
} from "./commands/remote.ts";
import { startCommand } from "./commands/start.ts";
import { tokensCommand } from "./commands/tokens.ts";
import { childEnv, loadCliEnv, noColourWanted } from "./config.ts";

const HELP = `kli8nt — push a repository, get a URL

usage:
  kli8nt start                 run the platform on this machine (embedded defaults)
  kli8nt plan <dir> [--json] [--dockerfile]
                               show how a repository would be built
  kli8nt login --url <url> [--token <token>] [--no-browser]
                               save where Kli8nt is and your API token; without --token,
                               sign in in the browser and the token comes back to this CLI
  kli8nt apps [list] [--json]  your apps, their last deployment and URL
  kli8nt apps create <name> --repo <git url> [--branch b] [--root-dir d] [--port p]
                    [--install-command c] [--build-command c] [--start-command c]
                    [--dockerfile path] [--target stage] [--health-check-path /p]
                               no --branch: the repository's own default branch
  kli8nt apps update <name> [--branch b] [--root-dir d] [--port p] [the settings flags above]
                               an empty value ("") clears a setting
  kli8nt apps delete <name> --confirm <name>
                               delete an app for good (refused unless the names match)
  kli8nt open <app> [--no-browser]
                               open the app's URL in the browser (printed when there is no opener)
  kli8nt env list <app> [--json]
                               variables; secret values are never shown
  kli8nt env set <app> KEY=VALUE… [--secret] [--build]
  kli8nt env unset <app> KEY…  change variables (the next deploy applies them)
  kli8nt ps <app> [--json]     process types: count, size, state, the release's restarts
  kli8nt scale <app> TYPE=COUNT[:MEMORY[:CPU]]… [--json]
                               e.g. web=2 worker=1 web=2:1Gi; 0 stops a type; no rebuild
  kli8nt previews <app> [--json] | previews <app> --tear-down <n>
                               pull request previews: settings, open ones (state, URL, head),
                               recently closed ones and when their logs go; tear one down now
  kli8nt previews <app> --set KEY=VALUE… [--json]
                               e.g. mode=label label=preview max=3 allowForks=false database=copy
                               logRetentionDays=7 (mode off|all|label, database empty|copy)
  kli8nt restart|stop|start <app> [--json]
                               rolling restart; stop every process (formation kept); start again
  kli8nt cron add <app> <name> --schedule "0 3 * * *" --command "<command>"
  kli8nt cron list <app> [--json] | runs <app> <name> [--limit n] [--json] | remove <app> <name>
                               commands on a schedule (UTC) in the current release
  kli8nt addons create <app> [--type postgres] [--from-dump <id>] | list <app> [--json]
  kli8nt addons delete <app> <id> --confirm <app> | dumps <app> [--json]
  kli8nt addons backup <app> <id> | backups <app> <id> [--json] | restore <app> <id> <backup>
                       managed PostgreSQL: DATABASE_URL and PG* in the app's env, a final dump on delete
  kli8nt psql <app> [psql arguments…]
                               a psql session into the app's database (on the platform's machine);
                               e.g. kli8nt psql shop -c 'select 1'
  kli8nt domains add <app> <hostname> | list <app> [--json] | remove <app> <hostname>
                               custom domains: status (pending, active, error) and the DNS record to create
  kli8nt deploy <app> [--ref r] [--wait]
                               deploy now; --wait streams the build log and ends with the URL
  kli8nt logs <app> [-f] [--phase build|release|run|cron] [--tail n] [--json]
  kli8nt rollback <app> <vN|deployment id> [--wait]
  kli8nt status <app> [--json] URL and recent deployments
  kli8nt metrics <app> [--range 1h|24h|7d] [--json]
                               requests, 5xx, latency p50/p95/p99, CPU and memory per process
  kli8nt notifications add <app|--default> (--webhook URL | --slack URL | --email ADDRESS) [--events a,b]
  kli8nt notifications list|remove|test|deliveries <app|--default> [<id>] [--json]
                               where deploy.live, deploy.failed, app.crashed, … are sent
  kli8nt tokens create <name> [--expires-in-days N|never] [--json]
                               a new API token, printed once (default expiry 90 days)
  kli8nt tokens list [--json]  your API tokens: name, created, last used, expiry
  kli8nt tokens revoke <id>    revoke a token at once
  kli8nt doctor [--kubeconfig p]
                               check a Kubernetes cluster for what Kli8nt needs
  kli8nt help                  this text

  KLI8NT_URL and KLI8NT_TOKEN override the saved login.
  --json prints one JSON document on stdout with the api's field names (logs: one record a line).
  Exit codes: 0 ok, 1 error, 2 usage mistake, 3 not found (no such app, cron job, token…),
  4 not logged in or token invalid, expired or revoked. Errors go to stderr with the api's detail.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Tenants write much of what is printed (log lines, reasons): no control sequence reaches the terminal.
  const io = {
    stdout: terminalSafeStream(process.stdout, noColourWanted()),
    stderr: terminalSafeStream(process.stderr, noColourWanted()),
  };
  const remote: RemoteContext = { io, env: loadCliEnv() };
  switch (command) {
    case "start":
      // `kli8nt start` runs the platform; `kli8nt start <app>` starts a stopped app on it.
      return rest.some((arg) => !arg.startsWith("-"))
        ? lifecycleCommand("start", rest, remote)
        : startCommand(rest, io);
    case "plan":
      return planCommand(rest, io);
    case "doctor":
      return doctorCommand(rest, io);
    case "login":
      return loginCommand(rest, remote);
    case "apps":
      return appsCommand(rest, remote);
    case "deploy":
      return deployCommand(rest, remote);
    case "logs":
      return logsCommand(rest, remote);
    case "rollback":
      return rollbackCommand(rest, remote);
    case "status":
      return statusCommand(rest, remote);
    case "tokens":
      return tokensCommand(rest, remote);
    case "metrics":
      return metricsCommand(rest, remote);
    case "notifications":
      return notificationsCommand(rest, remote);
    case "env":
      return envCommand(rest, remote);
    case "ps":
      return psCommand(rest, remote);
    case "scale":
      return scaleCommand(rest, remote);
    case "restart":
    case "stop":
      return lifecycleCommand(command, rest, remote);
    case "cron":
      return cronCommand(rest, remote);
    case "previews":
      return previewsCommand(rest, remote);
    case "addons":
      return addonsCommand(rest, remote);
    case "domains":
      return domainsCommand(rest, remote);
    case "psql":
      return psqlCommand(rest, remote, childEnv());
    case "open":
      return openCommand(rest, remote);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      io.stdout.write(HELP);
      return 0;
    default:
      io.stderr.write(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = `kli8nt: ${error instanceof Error ? error.message : String(error)}\n`;
    terminalSafeStream(process.stderr, noColourWanted()).write(message);
    process.exit(exitCodeOf(error));
  },
);
