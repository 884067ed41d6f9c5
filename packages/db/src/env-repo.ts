import { ConflictError, type EnvVar, InputError } from "@kli8nt/core";
import { asc, eq } from "drizzle-orm";
import { managedEnv, managedEnvMasked, managedKeys } from "./addons-repo.ts";
import type { Db } from "./database.ts";
import { envVars } from "./schema.ts";
import type { SecretBox } from "./secret-box.ts";

export interface EnvVarInput {
  readonly key: string;
  /** For an existing secret, null keeps the stored value (the client never sees it to send it back). */
  readonly value: string | null;
  readonly secret: boolean;
  /** Also passed to the build (ADR 0157); false when absent. */
  readonly build?: boolean | undefined;
  /** Pull request previews (ADR 0200): "include" when absent; "exclude" is `preview: false`; "only" for previews. */
  readonly preview?: PreviewScope | undefined;
}

export type PreviewScope = "include" | "exclude" | "only";

/**
 * A variable as stored: whether the build and previews get it is always known. `managedBy` names the add-on
 * a variable comes from (issue 25): such variables are read-only here and disappear with their add-on.
 */
export type StoredEnvVar = EnvVar & {
  readonly build: boolean;
  readonly preview: PreviewScope;
  readonly managedBy?: string;
};

/** An add-on's variable in the env views: secret values masked like the user's own secrets. */
const asStored = <V extends string | null>(v: {
  key: string;
  value: V;
  secret: boolean;
  managedBy: string;
}) => ({
  key: v.key,
  value: v.value,
  secret: v.secret,
  build: false,
  preview: "exclude" as const,
  managedBy: v.managedBy,
});

/**
 * The env API cannot set what an add-on owns: a variable sent back exactly as GET showed it (a form saving
 * what it read) is left out; a changed value, or one named by an add-on that is not ready yet, is a 409
 * naming the add-on.
 */
async function withoutManaged(db: Db, appId: string, vars: readonly EnvVarInput[]): Promise<EnvVarInput[]> {
  const owned = await managedKeys(db, appId);
  if (owned.size === 0) return [...vars];
  const shown = new Map((await managedEnvMasked(db, appId)).map((v) => [v.key, v.value]));
  const clash = vars.find((v) => owned.has(v.key) && (!shown.has(v.key) || shown.get(v.key) !== v.value));
  if (clash) {
    const by = owned.get(clash.key) ?? "an add-on";
    throw new ConflictError(
      "ENV_MANAGED_BY_ADDON",
      `${clash.key} is managed by ${by}: it cannot be set through the env API; leave it out (delete the add-on to remove it)`,
      { details: { key: clash.key, managedBy: by } },
    );
  }
  return vars.filter((v) => !owned.has(v.key));
}

const context = (appId: string, key: string) => `env:${appId}:${key}`;

/**
 * Replaces the app's variables with `vars` in one transaction. A secret whose value is null keeps its stored
 * value, so a UI can save a form without knowing the secrets. Returns the masked view.
 */
export async function replaceEnv(
  db: Db,
  box: SecretBox,
  appId: string,
  vars: readonly EnvVarInput[],
): Promise<StoredEnvVar[]> {
  const own = await withoutManaged(db, appId, vars);
  await db.transaction(async (tx) => {
    const existing = new Map(
      (await tx.select().from(envVars).where(eq(envVars.appId, appId))).map((row) => [row.key, row]),
    );
    await tx.delete(envVars).where(eq(envVars.appId, appId));
    const rows = own.flatMap((v) => {
      const kept = existing.get(v.key);
      const build = v.build === true;
      const preview = v.preview ?? "include";
      if (v.value === null) {
        if (kept?.secret && v.secret) return [{ ...kept, build, preview }];
        throw new InputError(
          "ENV_VALUE_REQUIRED",
          `${v.key} has no stored secret value to keep; give a value`,
          {
            details: { key: v.key },
          },
        );
      }
      const value = v.secret ? box.encrypt(v.value, context(appId, v.key)) : v.value;
      return [{ appId, key: v.key, value, secret: v.secret, build, preview }];
    });
    if (rows.length > 0) await tx.insert(envVars).values(rows);
  });
  return listEnv(db, appId);
}

/** What the API returns: secret values are never read back. */
export async function listEnv(db: Db, appId: string): Promise<StoredEnvVar[]> {
  const rows = await db.select().from(envVars).where(eq(envVars.appId, appId)).orderBy(asc(envVars.key));
  const own: StoredEnvVar[] = rows.map((row) => ({
    key: row.key,
    value: row.secret ? null : row.value,
    secret: row.secret,
    build: row.build,
    preview: row.preview,
  }));
  const managed = (await managedEnvMasked(db, appId)).map(asStored);
  return [...own, ...managed];
}

/**
 * Decrypted values for the runtime (deploy controller) and the log masker; never for an HTTP response.
 * Preview-only variables are left out, unless `forPreview`, which leaves out the `preview: false` ones.
 */
export async function resolveEnv(
  db: Db,
  box: SecretBox,
  appId: string,
  opts: { forPreview?: boolean } = {},
): Promise<Array<StoredEnvVar & { value: string }>> {
  const rows = (
    await db.select().from(envVars).where(eq(envVars.appId, appId)).orderBy(asc(envVars.key))
  ).filter((row) => row.preview !== (opts.forPreview ? "exclude" : "only"));
  const own = rows.map((row) => ({
    key: row.key,
    value: row.secret ? box.decrypt(row.value, context(appId, row.key)) : row.value,
    secret: row.secret,
    build: row.build,
    preview: row.preview,
  }));
  // Copying to a preview leaves the parent's add-on variables out: a preview has its own (ADR 0201).
  const managed = opts.forPreview ? [] : (await managedEnv(db, box, appId)).map(asStored);
  const owned = new Set(managed.map((v) => v.key));
  return [...own.filter((v) => !owned.has(v.key)), ...managed];
}
