import { type Db, enqueueNotification, schema } from "@kli8nt/db";
import { eq } from "drizzle-orm";

interface FailedBackup {
  readonly addonId: string;
  readonly appId: string;
  readonly type: string;
  readonly error: unknown;
  readonly occurredAt: Date;
}

/**
 * Queues `addon.backup_failed` for a scheduled backup that failed: one notice per add-on per UTC day, since
 * the resync retries the backup every few minutes and a receiver wants to hear of the outage once, not each
 * retry. The reason is the error's first line, cut short, with any URL credentials removed (a pg_dump error
 * may quote its connection string).
 */
export async function recordBackupFailed(db: Db, failed: FailedBackup): Promise<number> {
  const [app] = await db
    .select({ name: schema.apps.name })
    .from(schema.apps)
    .where(eq(schema.apps.id, failed.appId));
  if (!app) return 0;
  const day = failed.occurredAt.toISOString().slice(0, 10);
  return enqueueNotification(db, {
    appId: failed.appId,
    event: "addon.backup_failed",
    eventKey: `addon.backup_failed:${failed.addonId}:${day}`,
    payload: {
      event: "addon.backup_failed",
      occurredAt: failed.occurredAt.toISOString(),
      app: { name: app.name },
      addon: { id: failed.addonId, type: failed.type },
      detail: reasonOf(failed.error),
    },
    occurredAt: failed.occurredAt,
  });
}

/** The first line of an error, without `user:password@` in URLs, at most 300 characters. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split("\n", 1)[0] ?? "";
  return first.replace(/\/\/[^/\s:@]+:[^@\s]*@/g, "//").slice(0, 300);
}
