import { type App, ConflictError, newId } from "@kli8nt/core";
import { and, asc, eq, isNull, ne, or, sql } from "drizzle-orm";
import { toApp } from "./apps-repo.ts";
import type { Db } from "./database.ts";
import { type EnvVarInput, replaceEnv, resolveEnv } from "./env-repo.ts";
import { sqlStateOf, UNIQUE_VIOLATION } from "./pg-errors.ts";
import { appPreviews, apps, deployments, githubDeployments, type PreviewSettings } from "./schema.ts";
import type { SecretBox } from "./secret-box.ts";

export type { PreviewSettings } from "./schema.ts";

export const PREVIEWS_OFF: PreviewSettings = {
  mode: "off",
  label: "preview",
  max: 5,
  allowForks: false,
  env: {},
  database: "empty",
};

/** A preview: its own app row plus the pull request it deploys (ADR 0200). */
export interface PreviewRecord {
  readonly app: App;
  readonly parentId: string;
  readonly prNumber: number;
  readonly title: string;
  readonly prUrl: string;
  readonly headRepo: string;
  readonly headRef: string;
  readonly headSha: string;
  readonly fork: boolean;
  readonly commentId: number | null;
  readonly createdAt: Date;
}

/** The pull request as the webhook tells it. */
export interface PreviewInput {
  readonly prNumber: number;
  readonly title: string;
  readonly prUrl: string;
  readonly headRepo: string;
  /** Where the head commit is cloned from: the base repository, or the fork's. */
  readonly cloneUrl: string;
  readonly headRef: string;
  readonly headSha: string;
  readonly fork: boolean;
}

export const previewAppName = (parentName: string, prNumber: number) => `${parentName}-pr-${prNumber}`;

export async function getPreviewSettings(db: Db, appId: string): Promise<PreviewSettings> {
  const [row] = await db.select({ previews: apps.previews }).from(apps).where(eq(apps.id, appId));
  return { ...PREVIEWS_OFF, ...(row?.previews ?? {}) };
}

/** Stores the settings; the closed previews the row remembers (ADR 0203) are kept as they are in the row. */
export async function setPreviewSettings(db: Db, appId: string, settings: PreviewSettings): Promise<void> {
  const { closed: _state, ...own } = settings;
  const kept = sql`case when ${apps.previews} -> 'closed' is not null then jsonb_build_object('closed', ${apps.previews} -> 'closed') else '{}'::jsonb end`;
  await db
    .update(apps)
    .set({ previews: sql`${JSON.stringify(own)}::jsonb || ${kept}`, updatedAt: new Date() })
    .where(eq(apps.id, appId));
}

type JoinedRow = { app_previews: typeof appPreviews.$inferSelect; apps: typeof apps.$inferSelect };

function toRecord(row: JoinedRow): PreviewRecord {
  const p = row.app_previews;
  return {
    app: toApp(row.apps),
    parentId: p.parentId,
    prNumber: p.prNumber,
    title: p.title,
    prUrl: p.prUrl,
    headRepo: p.headRepo,
    headRef: p.headRef,
    headSha: p.headSha,
    fork: p.fork,
    commentId: p.commentId,
    createdAt: p.createdAt,
  };
}

/** The app's previews, oldest first (the order `max` tears them down in). */
export async function listPreviews(db: Db, parentId: string): Promise<PreviewRecord[]> {
  const rows = await db
    .select()
    .from(appPreviews)
    .innerJoin(apps, eq(apps.id, appPreviews.appId))
    .where(eq(appPreviews.parentId, parentId))
    .orderBy(asc(appPreviews.createdAt), asc(appPreviews.prNumber));
  return rows.map(toRecord);
}

export async function findPreview(db: Db, parentId: string, prNumber: number): Promise<PreviewRecord | null> {
  const [row] = await db
    .select()
    .from(appPreviews)
    .innerJoin(apps, eq(apps.id, appPreviews.appId))
    .where(and(eq(appPreviews.parentId, parentId), eq(appPreviews.prNumber, prNumber)));
  return row ? toRecord(row) : null;
}

/** The preview an app row is, if it is one (status reporting names its environment after the pull request). */
export async function findPreviewByAppId(db: Db, appId: string): Promise<PreviewRecord | null> {
  const [row] = await db
    .select()
    .from(appPreviews)
    .innerJoin(apps, eq(apps.id, appPreviews.appId))
    .where(eq(appPreviews.appId, appId));
  return row ? toRecord(row) : null;
}

function nameTaken(name: string, cause: unknown): ConflictError {
  return new ConflictError("PREVIEW_NAME_TAKEN", `The preview name "${name}" is taken by another app`, {
    cause,
    details: { name },
  });
}

/**
 * Creates the preview's app row (named `<app>-pr-<n>`, hidden from app lists, same settings as its app) or
 * moves it to the pull request's new head. Returns the record and whether it is new.
 */
export async function upsertPreview(
  db: Db,
  parent: App,
  input: PreviewInput,
): Promise<{ preview: PreviewRecord; created: boolean }> {
  const existing = await findPreview(db, parent.id, input.prNumber);
  const now = new Date();
  const fields = {
    title: input.title,
    prUrl: input.prUrl,
    headRepo: input.headRepo,
    headRef: input.headRef,
    headSha: input.headSha,
    fork: input.fork,
  };
  if (existing) {
    await db.transaction(async (tx) => {
      await tx
        .update(apps)
        .set({ repoUrl: input.cloneUrl, branch: input.headRef, updatedAt: now })
        .where(eq(apps.id, existing.app.id));
      await tx
        .update(appPreviews)
        .set({ ...fields, updatedAt: now })
        .where(eq(appPreviews.appId, existing.app.id));
    });
    return { preview: (await findPreview(db, parent.id, input.prNumber)) ?? existing, created: false };
  }
  const name = previewAppName(parent.name, input.prNumber);
  const id = newId("app");
  try {
    await db.transaction(async (tx) => {
      await tx.insert(apps).values({
        id,
        ownerId: parent.ownerId,
        name,
        repoUrl: input.cloneUrl,
        branch: input.headRef,
        rootDir: parent.repository.rootDir,
        port: parent.port,
        buildSettings: parent.buildSettings,
        previewOf: parent.id,
      });
      await tx
        .insert(appPreviews)
        .values({ appId: id, parentId: parent.id, prNumber: input.prNumber, ...fields });
    });
  } catch (error) {
    if (sqlStateOf(error) === UNIQUE_VIOLATION) throw nameTaken(name, error);
    throw error;
  }
  const preview = await findPreview(db, parent.id, input.prNumber);
  if (!preview) throw new Error("preview row vanished after insert");
  return { preview, created: true };
}

export async function setPreviewComment(db: Db, appId: string, commentId: number): Promise<void> {
  await db.update(appPreviews).set({ commentId }).where(eq(appPreviews.appId, appId));
}

/**
 * Gives the preview its app's variables (ADR 0200): without those marked `preview: false`, with the
 * preview-only ones, without any secret for a fork's code, then the settings' plain overrides and
 * `KLI8NT_PREVIEW`/`KLI8NT_PR_NUMBER`. Secrets are re-encrypted under the preview's own context.
 */
export async function copyEnvToPreview(
  db: Db,
  box: SecretBox,
  preview: PreviewRecord,
  settings: PreviewSettings,
): Promise<void> {
  const parentVars = await resolveEnv(db, box, preview.parentId, { forPreview: true });
  const vars = new Map<string, EnvVarInput>();
  for (const v of parentVars) {
    if (preview.fork && v.secret) continue;
    vars.set(v.key, { key: v.key, value: v.value, secret: v.secret, build: v.build });
  }
  const overrides: Record<string, string> = {
    ...settings.env,
    KLI8NT_PREVIEW: "1",
    KLI8NT_PR_NUMBER: String(preview.prNumber),
  };
  for (const [key, value] of Object.entries(overrides)) vars.set(key, { key, value, secret: false });
  await replaceEnv(db, box, preview.app.id, [...vars.values()]);
}

/** The GitHub Deployments made for an app's deployments that are not inactive yet (a teardown marks them). */
export async function activeGitHubDeploymentsOf(
  db: Db,
  appId: string,
): Promise<Array<{ deploymentId: string; repoFullName: string; githubDeploymentId: number }>> {
  return db
    .select({
      deploymentId: githubDeployments.deploymentId,
      repoFullName: githubDeployments.repoFullName,
      githubDeploymentId: githubDeployments.githubDeploymentId,
    })
    .from(githubDeployments)
    .innerJoin(deployments, eq(deployments.id, githubDeployments.deploymentId))
    .where(
      and(
        eq(deployments.appId, appId),
        or(isNull(githubDeployments.lastState), ne(githubDeployments.lastState, "inactive")),
      ),
    );
}

/** Whether the app row is a pull request preview (its `preview_of` is set). */
export async function isPreviewApp(db: Db, appId: string): Promise<boolean> {
  const [row] = await db.select({ of: apps.previewOf }).from(apps).where(eq(apps.id, appId));
  return Boolean(row?.of);
}
