import { readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { ConflictError } from "@kli8nt/core";
import { type AddonBackupRow, type Db, markBackup, requestBackup } from "@kli8nt/db";

// One machine's final dumps (ADR 0228): the file stays in `<dataDir>/addons/dumps` as before, and a row of
// kind `final` records it for its app. The row, not the file name, is what the api lists and restores: ids
// are `bk_…`, the client never names a path, and a new app reusing a deleted app's name sees none of its
// dumps (the row went with the app).

const FILE = /^[a-z0-9-]+-app_[a-z0-9_]+-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.sql$/;
const LOCATION = "file:";

/** Records a final dump written to `path` (inside the dump folder) for the app; the add-on is going away. */
export async function recordFinalDump(
  db: Db,
  app: { id: string },
  database: string,
  path: string,
): Promise<AddonBackupRow> {
  const row = await requestBackup(db, { appId: app.id, addonId: null, database, kind: "final" });
  const sizeBytes = statSync(path).size;
  await markBackup(db, row.id, { status: "done", sizeBytes, location: `${LOCATION}${basename(path)}` });
  return { ...row, status: "done", sizeBytes, location: `${LOCATION}${basename(path)}` };
}

/**
 * The SQL of a final dump on this machine, checked before any add-on is made for it: it must be a file this
 * api wrote (never a path from elsewhere), still there, and made of statements a client connection can run.
 */
export function readFinalDump(dumpDir: string, row: AddonBackupRow): string {
  const name = row.location?.startsWith(LOCATION) ? row.location.slice(LOCATION.length) : "";
  if (!FILE.test(name)) {
    throw new ConflictError(
      "ADDON_DUMP_NOT_LOCAL",
      `Final dump ${row.id} is not a file of this machine (${row.location ?? "no location"}); it was made by a cluster`,
      { details: { id: row.id } },
    );
  }
  let sql: string;
  try {
    sql = readFileSync(join(dumpDir, name), "utf8");
  } catch (error) {
    throw new ConflictError(
      "ADDON_DUMP_GONE",
      `Final dump ${row.id} (${name}) is no longer in the platform's dump folder`,
      { cause: error, details: { id: row.id } },
    );
  }
  // Final dumps are written as INSERTs; pg_dump's default COPY … FROM stdin only psql can feed (a guard).
  if (/^COPY .+ FROM stdin;$/m.test(sql)) {
    throw new ConflictError(
      "ADDON_DUMP_NOT_LOADABLE",
      `Final dump ${row.id} (${name}) holds COPY data only psql can load: load it with kli8nt psql < ${name}`,
      { details: { id: row.id } },
    );
  }
  return sql;
}

/** A final dump written on one machine cannot be read by the cluster's restore Job. */
export function dumpNotInCluster(id: string): ConflictError {
  return new ConflictError(
    "ADDON_DUMP_NOT_IN_CLUSTER",
    `Final dump ${id} is a file on the machine that ran Kli8nt before; the cluster cannot read it: load it ` +
      "with kli8nt psql once the new add-on is ready",
    { details: { id } },
  );
}
