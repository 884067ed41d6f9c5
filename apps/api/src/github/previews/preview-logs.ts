import type { App } from "@kli8nt/core";
import {
  closedPreviews,
  expiredClosedPreviews,
  forgetClosedPreview,
  listPreviews,
  type PreviewRecord,
  recordClosedPreview,
} from "@kli8nt/db";
import type { FastifyInstance } from "fastify";
import type { ApiDeps } from "../../deps.ts";
import { type GitHubLog, silentLog } from "../github-deps.ts";

type LogDeps = Pick<ApiDeps, "db" | "logs" | "addons"> & { readonly logger?: GitHubLog | undefined };

/**
 * After a preview's teardown its logs stay readable for the parent's retention (ADR 0203): the preview is
 * remembered on the parent, and the retention pass removes its logs later. With a retention of 0, or once
 * more than the remembered number of previews closed, they go now.
 */
export async function keepPreviewLogs(
  deps: LogDeps,
  parent: App,
  preview: PreviewRecord,
  now: Date,
): Promise<void> {
  const logs = deps.logs;
  if (!logs?.removeApp) return;
  const entry = {
    number: preview.prNumber,
    appId: preview.app.id,
    app: preview.app.name,
    title: preview.title,
    closedAt: now.toISOString(),
  };
  const { retentionDays, evicted } = await recordClosedPreview(deps.db, parent.id, entry);
  const now0 = retentionDays === 0 ? [entry.appId] : [];
  for (const appId of [...now0, ...evicted.map((e) => e.appId)]) {
    // The preview's output may still land in its log until its instances are gone: logged, not fatal.
    await logs
      .removeApp(appId)
      .catch((err: unknown) =>
        (deps.logger ?? silentLog).warn({ err, appId }, "Failed to remove preview logs"),
      );
  }
}

/** Removes the logs of closed previews whose retention ran out at `now`; returns their app names. */
export async function removeExpiredPreviewLogs(deps: LogDeps, now: Date): Promise<string[]> {
  const logs = deps.logs;
  if (!logs?.removeApp) return [];
  const removed: string[] = [];
  for (const { parentId, closed } of await expiredClosedPreviews(deps.db, now)) {
    try {
      await logs.removeApp(closed.appId);
      await forgetClosedPreview(deps.db, parentId, closed.appId);
      removed.push(closed.app);
    } catch (err) {
      (deps.logger ?? silentLog).warn({ err, app: closed.app }, "Failed to remove expired preview logs");
    }
  }
  if (removed.length > 0) (deps.logger ?? silentLog).info({ removed }, "Removed expired preview logs");
  return removed;
}

/**
 * An app about to be deleted takes its previews along: their databases are dropped and their logs, open or
 * closed, removed (the app row's cascade would otherwise leave both behind).
 */
export async function removePreviewsOf(deps: LogDeps, parentId: string): Promise<void> {
  const open = await listPreviews(deps.db, parentId);
  for (const preview of open) await deps.addons?.removePreview(preview.app.id);
  const ids = [
    ...open.map((p) => p.app.id),
    ...(await closedPreviews(deps.db, parentId)).map((c) => c.appId),
  ];
  for (const id of ids) await deps.logs?.removeApp?.(id);
}

/** The retention pass on a resync (hourly by default), from when the api is ready until it closes. */
export function installPreviewLogRetention(
  app: FastifyInstance,
  deps: ApiDeps,
  options: { everyMs?: number; now?: () => Date } = {},
): void {
  if (!deps.logs?.removeApp) return;
  const now = options.now ?? (() => new Date());
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const pass = () => {
    running = running.then(() => removeExpiredPreviewLogs({ ...deps, logger: app.log }, now()));
  };
  app.addHook("onReady", async () => {
    timer = setInterval(pass, options.everyMs ?? 3_600_000);
    timer.unref();
    pass();
  });
  app.addHook("onClose", async () => {
    clearInterval(timer);
    await running;
  });
}
