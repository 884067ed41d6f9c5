import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { Exec, KubeConfig, type V1Status } from "@kubernetes/client-node";
import { CliError } from "../client/api-client.ts";

/** Where a cluster add-on's psql runs, as the api's owner-only connection answers it (ADR 0229). */
export interface ClusterPsqlTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly database: string;
  readonly user: string;
}

export interface PsqlStreams {
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/**
 * The user's kubeconfig, as kubectl finds it: KUBECONFIG (the first file that exists), else ~/.kube/config.
 * None → a CliError saying what to set.
 */
export function loadUserKubeConfig(env: Record<string, string | undefined>): KubeConfig {
  const candidates = env.KUBECONFIG
    ? env.KUBECONFIG.split(path.delimiter).filter(Boolean)
    : [path.join(env.HOME ?? homedir(), ".kube", "config")];
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw new CliError(
      `no kubeconfig found (${candidates.join(", ")}): kli8nt psql reaches a cluster add-on through your own ` +
        "Kubernetes access; set KUBECONFIG to a kubeconfig that may exec into pods of the app's namespace",
    );
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (error) {
    throw new CliError(`could not read the kubeconfig ${file}: ${(error as Error).message}`);
  }
  return kc;
}

// In the add-on's container, psql dials the server over loopback with the password the container already
// holds (POSTGRES_PASSWORD of the official image), so no secret crosses to this machine.
const SCRIPT =
  'if [ -n "${POSTGRES_PASSWORD:-}" ]; then export PGPASSWORD="$POSTGRES_PASSWORD" PGHOST=127.0.0.1; fi; exec psql "$@"';

/**
 * `psql -U <user> -d <database> [args…]` in the add-on's pod through the user's kubeconfig (exec, a TTY when
 * stdin is one), with this terminal's streams. Resolves with psql's exit code.
 */
export async function execClusterPsql(
  kc: KubeConfig,
  target: ClusterPsqlTarget,
  args: readonly string[],
  streams: PsqlStreams,
): Promise<number> {
  const tty = streams.stdin.isTTY === true;
  const command = ["sh", "-c", SCRIPT, "psql", "-U", target.user, "-d", target.database, ...args];
  if (tty) streams.stdin.setRawMode?.(true);
  try {
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc)
        .exec(
          target.namespace,
          target.pod,
          target.container,
          command,
          streams.stdout,
          tty ? null : streams.stderr,
          streams.stdin,
          tty,
          resolve,
        )
        .then((ws) => {
          // Closed without a status: the connection broke.
          ws.on("close", () =>
            reject(new CliError(`the exec into ${target.pod} closed without an exit status`)),
          );
        })
        .catch((error: unknown) => reject(execError(error, target)));
    });
    return exitCodeOf(status);
  } finally {
    if (tty) streams.stdin.setRawMode?.(false);
    // Our end of stdin stays open otherwise and keeps the process alive.
    streams.stdin.pause();
  }
}

/** psql's exit code from the exec's status (`NonZeroExitCode` carries it as a cause). */
function exitCodeOf(status: V1Status): number {
  if (status.status === "Success") return 0;
  const code = status.details?.causes?.find((c) => c.reason === "ExitCode")?.message;
  const n = code === undefined ? Number.NaN : Number.parseInt(code, 10);
  if (Number.isFinite(n)) return n;
  throw new CliError(
    `psql in the add-on's pod failed: ${status.message ?? status.reason ?? "no reason given"}`,
  );
}

function execError(error: unknown, target: ClusterPsqlTarget): CliError {
  const text = error instanceof Error ? error.message : String(error);
  const status = /Unexpected server response: (\d+)/.exec(text)?.[1];
  if (status === "403" || status === "401") {
    return new CliError(
      `your kubeconfig may not exec into pod ${target.pod} in namespace ${target.namespace} ` +
        `(HTTP ${status}): ask for pods/exec there, or use the api's connection reveal`,
    );
  }
  if (status === "404") return new CliError(`pod ${target.pod} not found in namespace ${target.namespace}`);
  return new CliError(`could not exec into ${target.pod} in ${target.namespace}: ${text}`);
}
