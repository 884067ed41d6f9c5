import { eq, sql } from "drizzle-orm";
import type { Db } from "./database.ts";
import { apps, type ClosedPreview } from "./schema.ts";

export type { ClosedPreview } from "./schema.ts";

/** Days a closed preview's logs are kept unless the app says otherwise (ADR 0203). */
export const DEFAULT_PREVIEW_LOG_RETENTION_DAYS = 7;
/** The newest closed previews an app remembers; older ones' logs go at once. */
const MAX_CLOSED = 50;
const DAY_MS = 86_400_000;

/**
 * Remembers a torn-down preview so its logs stay readable for the retention period (ADR 0203), in the same
 * row lock as any other change of the parent's previews JSON. Returns the entries pushed out (their logs
 * are to be removed now) and the retention in force.
 */
export async function recordClosedPreview(
  db: Db,
  parentId: string,
  entry: ClosedPreview,
): Promise<{ retentionDays: number; evicted: ClosedPreview[] }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ previews: apps.previews })
      .from(apps)
      .where(eq(apps.id, parentId))
      .for("update");
    if (!row?.previews) return { retentionDays: DEFAULT_PREVIEW_LOG_RETENTION_DAYS, evicted: [] };
    const retentionDays = row.previews.logRetentionDays ?? DEFAULT_PREVIEW_LOG_RETENTION_DAYS;
    if (retentionDays === 0) return { retentionDays, evicted: [] };
    const all = [entry, ...(row.previews.closed ?? []).filter((c) => c.appId !== entry.appId)];
    const closed = all.slice(0, MAX_CLOSED);
    await tx
      .update(apps)
      .set({ previews: { ...row.previews, closed } })
      .where(eq(apps.id, parentId));
    return { retentionDays, evicted: all.slice(MAX_CLOSED) };
  });
}

export async function closedPreviews(db: Db, parentId: string): Promise<readonly ClosedPreview[]> {
  const [row] = await db.select({ previews: apps.previews }).from(apps).where(eq(apps.id, parentId));
  return row?.previews?.closed ?? [];
}

/** Closed previews whose retention ran out at `now`, across every app, with the app that keeps them. */
export async function expiredClosedPreviews(
  db: Db,
  now: Date,
): Promise<Array<{ parentId: string; closed: ClosedPreview }>> {
  const rows = await db
    .select({ id: apps.id, previews: apps.previews })
    .from(apps)
    .where(sql`${apps.previews} -> 'closed' is not null`);
  return rows.flatMap((row) => {
    const days = row.previews?.logRetentionDays ?? DEFAULT_PREVIEW_LOG_RETENTION_DAYS;
    return (row.previews?.closed ?? [])
      .filter((c) => Date.parse(c.closedAt) + days * DAY_MS <= now.getTime())
      .map((closed) => ({ parentId: row.id, closed }));
  });
}

/** Forgets a closed preview once its logs are removed (or it was deployed again under its old name). */
export async function forgetClosedPreview(db: Db, parentId: string, appId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .select({ previews: apps.previews })
      .from(apps)
      .where(eq(apps.id, parentId))
      .for("update");
    if (!row?.previews?.closed) return;
    const closed = row.previews.closed.filter((c) => c.appId !== appId);
    await tx
      .update(apps)
      .set({ previews: { ...row.previews, closed } })
      .where(eq(apps.id, parentId));
  });
}
