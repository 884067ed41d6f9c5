import { api } from "./client.ts";

/** A managed PostgreSQL add-on (`GET /api/apps/:name/addons`, ADR 0225). */
export interface Addon {
  readonly id: string;
  readonly type: "postgres";
  /** `deleting`: cluster mode, removed once its final dump is done (ADR 0228). */
  readonly status: "provisioning" | "ready" | "error" | "deleting";
  readonly detail: string | null;
  readonly sizeBytes: number | null;
  readonly database: string;
  readonly user: string;
  readonly host: string | null;
  readonly port: number | null;
  readonly env: readonly string[];
  /** The last restore asked of it (a backup, or the final dump it was made from). */
  readonly restore: {
    readonly backupId: string;
    readonly status: BackupStatus;
    readonly detail: string | null;
  } | null;
  readonly createdAt: string;
}

export type BackupStatus = "requested" | "running" | "done" | "error";

/** A backup: a file here (always done), or a request the deploy controller executes in a cluster. */
export interface AddonBackup {
  readonly id: string;
  readonly kind: "manual" | "nightly" | "final" | null;
  readonly status: BackupStatus;
  readonly detail: string | null;
  readonly createdAt: string;
  readonly sizeBytes: number | null;
}

/** The final dump of a deleted add-on (`GET …/addons/dumps`). */
export interface AddonDump {
  readonly id: string;
  readonly database: string;
  readonly createdAt: string;
  readonly sizeBytes: number | null;
  readonly status: BackupStatus;
}

/** The revealed connection, password included (owner only, never cached); in a cluster, the add-on's pod. */
export type AddonConnection = ServerConnection | ClusterConnection;

export interface ClusterConnection {
  readonly cluster: {
    readonly namespace: string;
    readonly pod: string;
    readonly container: string;
    readonly database: string;
    readonly user: string;
  };
}

export interface ServerConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly url: string;
  /** Where the platform's machine itself reaches the server, when it runs one. */
  readonly local: { readonly host: string; readonly port: number } | null;
}

const addons = (name: string) => `/api/apps/${encodeURIComponent(name)}/addons`;
const addon = (name: string, id: string) => `${addons(name)}/${encodeURIComponent(id)}`;

export const listAddons = (name: string) => api<{ items: Addon[] }>("GET", addons(name));
export const createPostgres = (name: string, fromDump?: string) =>
  api<Addon>("POST", addons(name), { type: "postgres", ...(fromDump ? { fromDump } : {}) });
export const listDumps = (name: string) => api<{ items: AddonDump[] }>("GET", `${addons(name)}/dumps`);
export const revealConnection = (name: string, id: string) =>
  api<AddonConnection>("GET", `${addon(name, id)}/connection`);
export const listBackups = (name: string, id: string) =>
  api<{ items: AddonBackup[] }>("GET", `${addon(name, id)}/backups`);
export const backUpNow = (name: string, id: string) => api<AddonBackup>("POST", `${addon(name, id)}/backups`);
export const restoreBackup = (name: string, id: string, backup: string) =>
  api<{ restored: string; status: "done" | "requested" }>(
    "POST",
    `${addon(name, id)}/backups/${encodeURIComponent(backup)}/restore`,
  );
/** The api keeps a final dump and answers its id (and its path on one machine; null in a cluster). */
export const deleteAddon = (name: string, id: string, confirm: string) =>
  api<{ id: string; dump: { id: string; path: string | null } }>("DELETE", addon(name, id), { confirm });
