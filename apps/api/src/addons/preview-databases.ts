import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AddonRow, addonPassword, type SecretBox } from "@kli8nt/db";
import type { PostgresServer } from "./postgres-server.ts";
import { runDumpAsTenant, type Tenant } from "./tenant-sql.ts";

export function previewTenant(box: SecretBox, row: AddonRow): Tenant {
  return { database: row.database, role: row.role, password: addonPassword(box, row) };
}

/**
 * Fills a preview's fresh database with a copy of its parent's (ADR 0201): a pg_dump of the parent's, run
 * as the preview's role. The dump is a temporary 0700 folder's file, removed whatever happens.
 */
export async function copyDatabase(server: PostgresServer, source: string, target: Tenant): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "kli8nt-preview-copy-"));
  try {
    const file = join(dir, "dump.sql");
    await server.dump(source, file, { inserts: true });
    const { adminUrl } = await server.ensure();
    await runDumpAsTenant(adminUrl, target, readFileSync(file, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
