import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "@kli8nt/core";
import type { PostgresServer } from "./postgres-server.ts";
import { dropDatabase, ensureTenant, runDumpAsTenant, type Tenant } from "./tenant-sql.ts";

export interface BackupView {
  /** The file's name: `<ISO time>.sql`. */
  readonly id: string;
  readonly createdAt: string;
  readonly sizeBytes: number;
}

const NAME = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.sql$/;

/** Backups of one add-on: SQL dumps (INSERT statements) in `<data dir>/addons/backups/<add-on id>/`. */
export function backupsDir(root: string, addonId: string): string {
  return join(root, addonId);
}

export function listBackups(dir: string): BackupView[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => NAME.test(n));
  } catch {
    return [];
  }
  return names
    .sort()
    .reverse()
    .map((id) => {
      const stat = statSync(join(dir, id));
      return { id, createdAt: stat.mtime.toISOString(), sizeBytes: stat.size };
    });
}

export async function takeBackup(server: PostgresServer, database: string, dir: string): Promise<BackupView> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = `${new Date().toISOString().replace(/[:.]/g, "-")}.sql`;
  await server.dump(database, join(dir, id), { inserts: true });
  const stat = statSync(join(dir, id));
  return { id, createdAt: stat.mtime.toISOString(), sizeBytes: stat.size };
}

/**
 * Replaces the add-on's database with a backup: dropped, made again empty and owned by the app's role, and
 * the dump run as that role (so what it creates is the role's, as before).
 */
export async function restoreBackup(server: PostgresServer, tenant: Tenant, dir: string, id: string) {
  if (!NAME.test(id) || !listBackups(dir).some((b) => b.id === id)) {
    throw new NotFoundError("ADDON_BACKUP_NOT_FOUND", `No backup ${id} of this add-on`, { details: { id } });
  }
  const { adminUrl } = await server.ensure();
  await dropDatabase(adminUrl, tenant.database);
  await ensureTenant(adminUrl, tenant);
  await runDumpAsTenant(adminUrl, tenant, readFileSync(join(dir, id), "utf8"));
}
