import pg from "pg";

/** One add-on's database and the role that owns it; names are generated identifiers, quoted anyway. */
export interface Tenant {
  readonly database: string;
  readonly role: string;
  readonly password: string;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Makes the role and database exist as they should, whatever a previous attempt left (idempotent): a login
 * role with no other power, its password set again, the database owned by it, and CONNECT revoked from
 * PUBLIC so no other app's role can open it (tenant isolation; a superuser still can).
 */
export async function ensureTenant(adminUrl: string, t: Tenant): Promise<void> {
  await withAdmin(adminUrl, async (c) => {
    const role = c.escapeIdentifier(t.role);
    const db = c.escapeIdentifier(t.database);
    const exists = await c.query("select 1 from pg_roles where rolname = $1", [t.role]);
    const verb = exists.rowCount ? "ALTER" : "CREATE";
    await c.query(
      `${verb} ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS ` +
        `CONNECTION LIMIT 50 PASSWORD ${c.escapeLiteral(t.password)}`,
    );
    const hasDb = await c.query("select 1 from pg_database where datname = $1", [t.database]);
    if (!hasDb.rowCount) await c.query(`CREATE DATABASE ${db} OWNER ${role} ENCODING 'UTF8'`);
    await c.query(`ALTER DATABASE ${db} OWNER TO ${role}`);
    await c.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    await c.query(`GRANT ALL ON DATABASE ${db} TO ${role}`);
  });
}

/** `pg_database_size`, or null when the database is gone. */
export async function databaseSize(adminUrl: string, database: string): Promise<number | null> {
  return withAdmin(adminUrl, async (c) => {
    const res = await c.query<{ size: string }>(
      "select pg_database_size(datname)::text as size from pg_database where datname = $1",
      [database],
    );
    const size = res.rows[0]?.size;
    return size === undefined ? null : Number(size);
  });
}

/** Drops a database, closing its sessions first; a missing one is fine. */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  await withAdmin(adminUrl, (c) =>
    c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(database)} WITH (FORCE)`),
  );
}

/** Drops the database (closing its sessions first) and the role; missing ones are fine. */
export async function dropTenant(adminUrl: string, t: Omit<Tenant, "password">): Promise<void> {
  await withAdmin(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(t.database)} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(t.role)}`);
  });
}

/** Runs a plain pg_dump (no owners, no privileges) in `tenant`'s database as its role, so all it makes is theirs. */
export async function runDumpAsTenant(adminUrl: string, tenant: Tenant, dump: string): Promise<void> {
  // pg_dump brackets its output with psql's \restrict/\unrestrict meta-commands (CVE-2025-8714); run over a
  // plain connection, nothing is a meta-command, so they are only dropped.
  const sql = dump.replace(/^\\(un)?restrict \S+$/gm, "");
  const url = new URL(adminUrl);
  url.username = tenant.role;
  url.password = tenant.password;
  url.pathname = `/${tenant.database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
