import { randomBytes, randomUUID } from "node:crypto";
import { ConflictError, NotFoundError } from "@kli8nt/core";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "./database.ts";
import { sqlStateOf, UNIQUE_VIOLATION } from "./pg-errors.ts";
import { addons, envVars } from "./schema.ts";
import type { SecretBox } from "./secret-box.ts";

export type AddonRow = typeof addons.$inferSelect;
export type AddonStatus = AddonRow["status"];

/** The variables an add-on puts into its app's environment, as Railway names them. */
export const ADDON_ENV_KEYS = [
  "DATABASE_URL",
  "PGDATABASE",
  "PGHOST",
  "PGPASSWORD",
  "PGPORT",
  "PGUSER",
] as const;
const SECRET_KEYS: ReadonlySet<string> = new Set(["DATABASE_URL", "PGPASSWORD"]);

/** A variable derived from an add-on: read-only through the env API, secret ones masked in logs. */
export interface ManagedEnvVar {
  readonly key: string;
  readonly value: string;
  readonly secret: boolean;
  readonly managedBy: string;
}

const passwordContext = (addonId: string) => `addon:${addonId}:password`;

/**
 * `password_enc` of an add-on whose password lives only in its Kubernetes Secret (cluster mode, ADR 0226):
 * the column is required, and this is not a ciphertext, so nothing can ever decrypt a copy of it.
 */
export const PASSWORD_IN_CLUSTER = "in-cluster-secret";

/** Database and role names: the app's name made an identifier, plus a random suffix (never reused). */
function tenantName(appName: string): string {
  return `app_${appName.replaceAll("-", "_").slice(0, 40)}_${randomBytes(4).toString("hex")}`;
}

/**
 * Records a new add-on in `provisioning`, with a random 32-byte password encrypted at rest. One add-on of a
 * type per app (409 otherwise). The reconciler does the rest.
 */
export async function createAddon(
  db: Db,
  box: SecretBox,
  app: { id: string; name: string },
  type: AddonRow["type"],
  options: {
    readonly passwordInCluster?: boolean;
    /** A finished backup (a final dump) the controller restores once the add-on is ready (ADR 0228). */
    readonly restoreBackupId?: string;
  } = {},
): Promise<AddonRow> {
  await assertNoOwnVars(db, app);
  const id = `adn_${randomUUID().replaceAll("-", "")}`;
  const name = tenantName(app.name);
  const password = randomBytes(32).toString("base64url");
  try {
    const [row] = await db
      .insert(addons)
      .values({
        id,
        appId: app.id,
        type,
        database: name,
        role: name,
        passwordEnc: options.passwordInCluster
          ? PASSWORD_IN_CLUSTER
          : box.encrypt(password, passwordContext(id)),
        ...(options.restoreBackupId
          ? { restoreBackupId: options.restoreBackupId, restoreStatus: "requested" as const }
          : {}),
      })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return row;
  } catch (error) {
    if (sqlStateOf(error) === UNIQUE_VIOLATION) {
      throw new ConflictError("ADDON_EXISTS", `${app.name} already has a ${type} add-on`, {
        cause: error,
        details: { app: app.name, type },
      });
    }
    throw error;
  }
}

/** The add-on's variables must not shadow the app's own: 409 naming them, so the user unsets them first. */
async function assertNoOwnVars(db: Db, app: { id: string; name: string }): Promise<void> {
  const own = await db
    .select({ key: envVars.key })
    .from(envVars)
    .where(and(eq(envVars.appId, app.id), inArray(envVars.key, [...ADDON_ENV_KEYS])));
  if (own.length === 0) return;
  const keys = own.map((r) => r.key).sort();
  throw new ConflictError(
    "ADDON_ENV_TAKEN",
    `${app.name} sets ${keys.join(", ")} itself; the add-on would provide ${keys.length > 1 ? "them" : "it"}: unset ${keys.length > 1 ? "them" : "it"} first`,
    { details: { keys } },
  );
}

export function listAddons(db: Db, appId: string): Promise<AddonRow[]> {
  return db.select().from(addons).where(eq(addons.appId, appId)).orderBy(asc(addons.createdAt));
}

export async function allAddonIds(db: Db): Promise<string[]> {
  return (await db.select({ id: addons.id }).from(addons)).map((r) => r.id);
}

export async function findAddon(db: Db, id: string): Promise<AddonRow | undefined> {
  const [row] = await db.select().from(addons).where(eq(addons.id, id));
  return row;
}

/** An app's add-on by id; 404 when it belongs to another app (the caller checked the app is the user's). */
export async function getAppAddon(db: Db, appId: string, id: string): Promise<AddonRow> {
  const [row] = await db
    .select()
    .from(addons)
    .where(and(eq(addons.appId, appId), eq(addons.id, id)));
  if (!row) throw new NotFoundError("ADDON_NOT_FOUND", `No add-on ${id} on this app`, { details: { id } });
  return row;
}

export async function updateAddon(
  db: Db,
  id: string,
  change: Partial<Pick<AddonRow, "status" | "detail" | "host" | "port" | "sizeBytes">>,
): Promise<void> {
  await db
    .update(addons)
    .set({ ...change, updatedAt: new Date() })
    .where(eq(addons.id, id));
}

export async function deleteAddonRow(db: Db, id: string): Promise<void> {
  await db.delete(addons).where(eq(addons.id, id));
}

/** The role's password, for the provisioner and the app's environment only; never for a response body. */
export function addonPassword(box: SecretBox, row: AddonRow): string {
  return box.decrypt(row.passwordEnc, passwordContext(row.id));
}

/** The libpq variables and DATABASE_URL of a ready add-on (none while it has no server address). */
export function addonEnv(box: SecretBox | null, row: AddonRow): ManagedEnvVar[] {
  if (row.status !== "ready" || row.host === null || row.port === null) return [];
  // In a cluster the app's Deployment reads them from the add-on's Secret, never from here.
  if (row.passwordEnc === PASSWORD_IN_CLUSTER) return [];
  // Without a box (a masked view) the secret values are never decrypted at all.
  const password = box ? addonPassword(box, row) : "";
  const host = row.host.includes(":") ? `[${row.host}]` : row.host;
  const url = `postgres://${row.role}:${encodeURIComponent(password)}@${host}:${row.port}/${row.database}`;
  const values: Record<(typeof ADDON_ENV_KEYS)[number], string> = {
    DATABASE_URL: url,
    PGDATABASE: row.database,
    PGHOST: row.host,
    PGPASSWORD: password,
    PGPORT: String(row.port),
    PGUSER: row.role,
  };
  const managedBy = `addon:${row.type}:${row.id}`;
  return ADDON_ENV_KEYS.map((key) => ({ key, value: values[key], secret: SECRET_KEYS.has(key), managedBy }));
}

/** Every add-on variable of an app, decrypted: for the runtime and the log masker. */
export async function managedEnv(db: Db, box: SecretBox, appId: string): Promise<ManagedEnvVar[]> {
  return (await listAddons(db, appId)).flatMap((row) => addonEnv(box, row));
}

/** The same variables with the secret ones' values null: for the env API's list. */
export async function managedEnvMasked(
  db: Db,
  appId: string,
): Promise<Array<Omit<ManagedEnvVar, "value"> & { value: string | null }>> {
  const vars = (await listAddons(db, appId)).flatMap((row) => addonEnv(null, row));
  return vars.map((v) => ({ ...v, value: v.secret ? null : v.value }));
}

/** The keys an app's add-ons own (whatever their status): the env API refuses to set them. */
export async function managedKeys(db: Db, appId: string): Promise<Map<string, string>> {
  const rows = await listAddons(db, appId);
  return new Map(
    rows.flatMap((row) => ADDON_ENV_KEYS.map((k) => [k, `addon:${row.type}:${row.id}`] as const)),
  );
}
