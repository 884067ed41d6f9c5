import {
  type App,
  type BuildSettingsInput,
  ConflictError,
  type Deployment,
  mergeBuildSettings,
  NotFoundError,
  newId,
} from "@kli8nt/core";
import { and, asc, desc, eq, gt, inArray, isNull } from "drizzle-orm";
import type { Db } from "./database.ts";
import { toDeployment } from "./deployments-repo.ts";
import { sqlStateOf, UNIQUE_VIOLATION } from "./pg-errors.ts";
import { apps, deployments } from "./schema.ts";

type AppRow = typeof apps.$inferSelect;

export interface AppInput {
  readonly name: string;
  readonly repository: { readonly url: string; readonly branch: string; readonly rootDir: string };
  readonly port: number | null;
  readonly buildSettings?: BuildSettingsInput | undefined;
}

/** Absent (or undefined) fields keep their value. */
export interface AppPatch {
  readonly repository?:
    | {
        readonly url?: string | undefined;
        readonly branch?: string | undefined;
        readonly rootDir?: string | undefined;
      }
    | undefined;
  readonly port?: number | null | undefined;
  /** Merged into the stored settings: a value sets, null clears, absent keeps. */
  readonly buildSettings?: BuildSettingsInput | undefined;
}

export function toApp(row: AppRow): App {
  return {
    id: row.id,
    ownerId: row.ownerId,
    name: row.name,
    repository: { url: row.repoUrl, branch: row.branch, rootDir: row.rootDir },
    port: row.port,
    buildSettings: row.buildSettings,
    stopped: row.stopped,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * Names are subdomains, unique across users. Checked before slow work that precedes createApp (resolving a
 * repository's default branch), so a taken name is said first; createApp's unique index still decides races.
 */
export async function assertAppNameFree(db: Db, name: string): Promise<void> {
  const [row] = await db.select({ id: apps.id }).from(apps).where(eq(apps.name, name)).limit(1);
  if (row) throw nameTaken(name);
}

function nameTaken(name: string, cause?: unknown): ConflictError {
  return new ConflictError("APP_NAME_TAKEN", `The name "${name}" is already taken; choose another`, {
    ...(cause === undefined ? {} : { cause }),
    details: { name },
  });
}

export async function createApp(db: Db, ownerId: string, input: AppInput): Promise<App> {
  try {
    const [row] = await db
      .insert(apps)
      .values({
        id: newId("app"),
        ownerId,
        name: input.name,
        repoUrl: input.repository.url,
        branch: input.repository.branch,
        rootDir: input.repository.rootDir,
        port: input.port,
        buildSettings: mergeBuildSettings({}, input.buildSettings ?? {}),
      })
      .returning();
    if (!row) throw new Error("insert into apps returned no row");
    return toApp(row);
  } catch (error) {
    if (sqlStateOf(error) === UNIQUE_VIOLATION) throw nameTaken(input.name, error);
    throw error;
  }
}

/** Another user's app is indistinguishable from a missing one: both are APP_NOT_FOUND. */
export async function getApp(db: Db, ownerId: string, name: string): Promise<App> {
  const [row] = await db
    .select()
    .from(apps)
    .where(and(eq(apps.ownerId, ownerId), eq(apps.name, name)));
  if (!row) throw new NotFoundError("APP_NOT_FOUND", `No app named "${name}"`, { details: { name } });
  return toApp(row);
}

export interface AppSummary {
  readonly app: App;
  readonly latestDeployment: Deployment | null;
}

export interface AppPage {
  readonly items: AppSummary[];
  /** The name to pass as `after` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/**
 * The owner's apps by name, each with its newest deployment, a page at a time (keyset on the unique name):
 * two indexed queries whatever the number of apps.
 */
export async function listApps(
  db: Db,
  ownerId: string,
  page: { limit: number; after?: string | undefined } = { limit: 1000 },
): Promise<AppPage> {
  // Pull request previews are apps of their own, listed under their app, not here (ADR 0200).
  const mine = and(eq(apps.ownerId, ownerId), isNull(apps.previewOf));
  const where = page.after ? and(mine, gt(apps.name, page.after)) : mine;
  const rows = await db
    .select()
    .from(apps)
    .where(where)
    .orderBy(asc(apps.name))
    .limit(page.limit + 1);
  const pageRows = rows.slice(0, page.limit);
  if (pageRows.length === 0) return { items: [], nextCursor: null };
  const latest = await db
    .selectDistinctOn([deployments.appId])
    .from(deployments)
    .where(
      inArray(
        deployments.appId,
        pageRows.map((row) => row.id),
      ),
    )
    .orderBy(deployments.appId, desc(deployments.number));
  const byApp = new Map(latest.map((row) => [row.appId, toDeployment(row)]));
  return {
    items: pageRows.map((row) => ({ app: toApp(row), latestDeployment: byApp.get(row.id) ?? null })),
    nextCursor: rows.length > page.limit ? (pageRows.at(-1)?.name ?? null) : null,
  };
}

export async function updateApp(db: Db, ownerId: string, name: string, patch: AppPatch): Promise<App> {
  const current = await getApp(db, ownerId, name);
  const [row] = await db
    .update(apps)
    .set({
      repoUrl: patch.repository?.url ?? current.repository.url,
      branch: patch.repository?.branch ?? current.repository.branch,
      rootDir: patch.repository?.rootDir ?? current.repository.rootDir,
      port: patch.port === undefined ? current.port : patch.port,
      buildSettings: mergeBuildSettings(current.buildSettings, patch.buildSettings ?? {}),
      updatedAt: new Date(),
    })
    .where(eq(apps.id, current.id))
    .returning();
  if (!row) throw new NotFoundError("APP_NOT_FOUND", `No app named "${name}"`);
  return toApp(row);
}

export async function deleteApp(db: Db, ownerId: string, name: string): Promise<App> {
  const [row] = await db
    .delete(apps)
    .where(and(eq(apps.ownerId, ownerId), eq(apps.name, name)))
    .returning();
  if (!row) throw new NotFoundError("APP_NOT_FOUND", `No app named "${name}"`, { details: { name } });
  return toApp(row);
}
