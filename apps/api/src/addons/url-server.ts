import { UnavailableError } from "@kli8nt/core";
import pg from "pg";
import type { PostgresServer, ServerEndpoint } from "./postgres-server.ts";
import { runCommand } from "./run-command.ts";

export interface UrlServerOptions {
  /** A superuser (or CREATEROLE + CREATEDB) URL on an existing server. */
  readonly adminUrl: string;
  /** The host apps use to reach it, when not the URL's (e.g. host.containers.internal). */
  readonly appHost?: string | undefined;
  /** The pg_dump binary (its major version must be at least the server's). */
  readonly pgDump?: string;
  /** The environment pg_dump runs with (PATH); the password is added as PGPASSWORD. */
  readonly env: Record<string, string>;
  /** How long `ensure` waits for the server to answer (10 s). */
  readonly waitMs?: number;
}

/** Waits until `url` answers a query, or throws UnavailableError after `timeoutMs`. */
export async function waitForServer(url: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query("select 1");
      return;
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new UnavailableError("ADDON_SERVER_UNAVAILABLE", `${what} did not answer within ${timeoutMs} ms`, {
    cause: last,
  });
}

/** The add-ons' server is one the operator runs (or the test scripts start): Kli8nt only connects to it. */
export function urlServer(options: UrlServerOptions): PostgresServer {
  const url = new URL(options.adminUrl);
  const endpoint: ServerEndpoint = {
    adminUrl: options.adminUrl,
    appHost: options.appHost ?? url.hostname.replace(/^\[|\]$/g, ""),
    appPort: Number(url.port || 5432),
  };
  return {
    kind: "url",
    async ensure() {
      await waitForServer(options.adminUrl, options.waitMs ?? 10_000, `PostgreSQL at ${url.host}`);
      return endpoint;
    },
    async dump(database, file, how = {}) {
      const target = new URL(options.adminUrl);
      target.pathname = `/${database}`;
      const password = decodeURIComponent(target.password);
      target.password = "";
      const env = { ...options.env, ...(password ? { PGPASSWORD: password } : {}) };
      const args = [
        "--no-owner",
        "--no-privileges",
        ...(how.inserts ? ["--inserts"] : []),
        "--dbname",
        target.toString(),
      ];
      const result = await runCommand(options.pgDump ?? "pg_dump", args, { env, toFile: file });
      if (result.code !== 0) {
        throw new UnavailableError(
          "ADDON_DUMP_FAILED",
          `pg_dump of ${database} failed: ${result.stderr.trim()}`,
        );
      }
    },
  };
}
