import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import type { PostgresServer } from "./postgres-server.ts";
import { dropTenant, ensureTenant } from "./tenant-sql.ts";

/**
 * What every PostgresServer adapter must do (ADR 0225): `ensure` answers with a reachable admin URL and
 * is idempotent (a second call adopts the running server), `dump` writes a restorable SQL dump, and one
 * tenant's role cannot open another tenant's database (nor its own with a wrong password, where the server
 * checks passwords: the test server of scripts/infra/postgres.sh trusts every local connection).
 */
export function runPostgresServerContract(
  make: () => PostgresServer,
  opts: { checksPasswords: boolean },
): void {
  const dir = mkdtempSync(join(tmpdir(), "kli8nt-pg-contract-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("ensure answers with an admin URL that runs queries, twice in a row", async () => {
    const server = make();
    const first = await server.ensure();
    const second = await server.ensure();
    expect(second).toEqual(first);
    const client = new pg.Client({ connectionString: first.adminUrl });
    await client.connect();
    const res = await client.query<{ ok: number }>("select 1 as ok");
    await client.end();
    expect(res.rows).toEqual([{ ok: 1 }]);
    expect(first.appPort).toBeGreaterThan(0);
  });

  it("dumps a tenant's database with its tables and rows", async () => {
    const server = make();
    const { adminUrl } = await server.ensure();
    const tenant = { database: "contract_dump_t", role: "contract_dump_t", password: "pw-contract-1234" };
    await ensureTenant(adminUrl, tenant);
    const url = new URL(adminUrl);
    url.username = tenant.role;
    url.password = tenant.password;
    url.pathname = `/${tenant.database}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    await client.query("create table notes (body text); insert into notes values ('kept')");
    await client.end();
    const file = join(dir, "dump.sql");
    await server.dump(tenant.database, file);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("CREATE TABLE public.notes");
    expect(text).toContain("kept");
    await dropTenant(adminUrl, tenant);
  });

  it("keeps one tenant's role out of another tenant's database", async () => {
    const { adminUrl } = await make().ensure();
    const a = { database: "contract_iso_a", role: "contract_iso_a", password: "pw-a-0123456789" };
    const b = { database: "contract_iso_b", role: "contract_iso_b", password: "pw-b-0123456789" };
    await ensureTenant(adminUrl, a);
    await ensureTenant(adminUrl, b);
    const as = (t: typeof a, database: string, password = t.password) => {
      const url = new URL(adminUrl);
      url.username = t.role;
      url.password = password;
      url.pathname = `/${database}`;
      return connectAndQuery(url.toString());
    };
    try {
      await expect(as(a, a.database)).resolves.toBe(1);
      await expect(as(b, a.database)).rejects.toThrow(/permission denied for database/);
      await expect(as(a, b.database)).rejects.toThrow(/permission denied for database/);
      if (opts.checksPasswords) {
        await expect(as(a, a.database, "wrong-password")).rejects.toThrow(/password authentication failed/);
      }
    } finally {
      await dropTenant(adminUrl, a);
      await dropTenant(adminUrl, b);
    }
  });
}

async function connectAndQuery(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ one: number }>("select 1 as one")).rows[0]?.one ?? 0;
  } finally {
    await client.end();
  }
}
