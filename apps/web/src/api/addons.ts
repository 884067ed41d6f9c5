import { api } from "./client.ts";

/** A managed PostgreSQL add-on (`GET /api/apps/:name/addons`, ADR 0225). */
export interface Addon {
  readonly id: string;
  readonly type: "postgres";
  readonly status: "provisioning" | "ready" | "error";
  readonly detail: string | null;
  readonly sizeBytes: number | null;
  readonly database: string;
  readonly user: string;
  readonly host: string | null;
  readonly port: number | null;
  readonly env: readonly string[];
  readonly createdAt: string;
}

export interface AddonBackup {
  readonly id: string;
  readonly createdAt: string;
  readonly sizeBytes: number;
}

/** The revealed connection, password included (owner only, never cached). */
export interface AddonConnection {
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
export const createPostgres = (name: string) => api<Addon>("POST", addons(name), { type: "postgres" });
export const revealConnection = (name: string, id: string) =>
  api<AddonConnection>("GET", `${addon(name, id)}/connection`);
export const listBackups = (name: string, id: string) =>
  api<{ items: AddonBackup[] }>("GET", `${addon(name, id)}/backups`);
export const backUpNow = (name: string, id: string) => api<AddonBackup>("POST", `${addon(name, id)}/backups`);
export const restoreBackup = (name: string, id: string, backup: string) =>
  api<{ restored: string }>("POST", `${addon(name, id)}/backups/${encodeURIComponent(backup)}/restore`);
/** The api keeps a final dump and answers its path. */
export const deleteAddon = (name: string, id: string, confirm: string) =>
  api<{ id: string; dump: { path: string } }>("DELETE", addon(name, id), { confirm });
