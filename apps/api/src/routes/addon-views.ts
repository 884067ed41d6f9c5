import type { AddonRow } from "@kli8nt/db";
import { z } from "zod";
import { appNameParams } from "../schemas.ts";

// The add-on routes' shapes (issue 25, ADR 0225, 0228), apart from the routes so both stay readable.

const backupStatus = z.enum(["requested", "running", "done", "error"]);

export const addonView = z.object({
  id: z.string(),
  type: z.literal("postgres"),
  status: z
    .enum(["provisioning", "ready", "error", "deleting"])
    .describe("`deleting`: cluster mode, waiting for its final dump"),
  detail: z.string().nullable().describe("Why it is in error, when it is"),
  sizeBytes: z.number().nullable().describe("pg_database_size at the reconciler's last look"),
  database: z.string(),
  user: z.string(),
  host: z.string().nullable(),
  port: z.number().nullable(),
  env: z.array(z.string()).describe("The variables it puts into the app's environment"),
  restore: z
    .object({ backupId: z.string(), status: backupStatus, detail: z.string().nullable() })
    .nullable()
    .describe("The last restore asked of it (a backup, or the final dump it was made from); null: none"),
  createdAt: z.string(),
});

export const toView = (row: AddonRow): z.infer<typeof addonView> => ({
  id: row.id,
  type: row.type,
  status: row.status,
  detail: row.detail,
  sizeBytes: row.sizeBytes,
  database: row.database,
  user: row.role,
  host: row.host,
  port: row.port,
  env: ["DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"],
  restore:
    row.restoreBackupId && row.restoreStatus
      ? { backupId: row.restoreBackupId, status: row.restoreStatus, detail: row.restoreDetail }
      : null,
  createdAt: row.createdAt.toISOString(),
});

export const createBody = z.strictObject({
  type: z.literal("postgres"),
  fromDump: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe("A final dump of this app (GET …/addons/dumps) to load into the new add-on"),
});

export const addonParams = appNameParams.extend({ id: z.string().min(1).max(64) });
export const backupParams = addonParams.extend({ backup: z.string().min(1).max(64) });

export const backupView = z.object({
  id: z.string(),
  kind: z.enum(["manual", "nightly", "final"]).nullable().describe("Cluster mode; null for a local file"),
  status: backupStatus.describe("A local backup is a file, so always done"),
  detail: z.string().nullable().describe("Why it failed, or what the controller is doing"),
  createdAt: z.string(),
  sizeBytes: z.number().nullable().describe("null until the dump is done"),
});

export const dumpView = z.object({
  id: z.string(),
  database: z.string().describe("The deleted add-on's database"),
  createdAt: z.string(),
  sizeBytes: z.number().nullable(),
  status: backupStatus,
});

export const removedView = z.object({
  id: z.string(),
  dump: z.object({
    id: z.string().describe("Restore it with POST …/addons {type, fromDump}"),
    path: z.string().nullable().describe("Its file on the platform's machine; null in cluster mode"),
  }),
});

const serverConnection = z.object({
  host: z.string(),
  port: z.number(),
  user: z.string(),
  password: z.string(),
  database: z.string(),
  url: z.string().describe("DATABASE_URL, as the app gets it"),
  local: z
    .object({ host: z.string(), port: z.number() })
    .nullable()
    .describe("Where the platform's machine itself reaches the server (kli8nt psql), when it runs one"),
});

const clusterConnection = z.object({
  cluster: z
    .object({
      namespace: z.string(),
      pod: z.string(),
      container: z.string(),
      database: z.string(),
      user: z.string(),
    })
    .describe("Cluster mode: the pod kli8nt psql execs psql in; the password never leaves the cluster"),
});

export const connectionView = z
  .union([serverConnection, clusterConnection])
  .describe("One machine: host, port, user, password, database, url, local. Cluster mode: { cluster }");

export type ServerConnection = Omit<z.infer<typeof serverConnection>, "local">;
