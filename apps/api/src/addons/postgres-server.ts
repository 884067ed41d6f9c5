/**
 * The PostgreSQL server the add-ons live on (ADR 0225). One machine: a podman container Kli8nt starts,
 * health-checks and adopts after a restart; tests and users with a server of their own: an existing server
 * reached by an admin URL. Both keep one contract (`runPostgresServerContract`).
 */
export interface PostgresServer {
  /** Which adapter: shown in errors and logs. */
  readonly kind: "podman" | "url";
  /**
   * Starts the server if it is not running (or adopts the one that is), waits until it answers, and says how
   * to reach it: `adminUrl` for the provisioner, `appHost`/`appPort` for the apps' PGHOST/PGPORT.
   */
  ensure(): Promise<ServerEndpoint>;
  /**
   * Writes a plain SQL dump of `database` to `file` (pg_dump, as the server's own version); `inserts`
   * writes rows as INSERT statements (no COPY), which a restore can run over any client connection.
   */
  dump(database: string, file: string, options?: { inserts?: boolean }): Promise<void>;
}

export interface ServerEndpoint {
  /** A superuser's URL on the server's `postgres` database; never leaves the api process. */
  readonly adminUrl: string;
  readonly appHost: string;
  readonly appPort: number;
}
