import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { LogBackend, LogCursor } from "../backend.ts";
import { createLogStore } from "../create-log-store.ts";
import type { LogStore } from "../logstore.ts";
import { appDirName } from "./app-dir-name.ts";
import { AppLog, type AppLogOptions } from "./app-log.ts";

export type FileLogStoreOptions = {
  /** Directory holding one sub-directory of segment files per app. */
  readonly dataDir: string;
  /** A segment is closed and a new one started past this size. Default 16 MiB. */
  readonly segmentBytes?: number;
  /** Segments older than this may be deleted. Default 7 days. */
  readonly maxAgeMs?: number;
  /** Oldest segments are deleted while an app's log is larger than this. Default 1 GiB. */
  readonly maxBytes?: number;
  /** Retention never leaves fewer lines than this for an app. Default 100,000. */
  readonly minLines?: number;
  /** Dirty segments are fsynced this often; 0 fsyncs before every append resolves. Default 200 ms. */
  readonly fsyncIntervalMs?: number;
  /** How often retention runs besides at each segment roll. Default 1 hour. */
  readonly retentionIntervalMs?: number;
  readonly now?: () => number;
};

export type FileLogStore = LogStore & {
  /** Applies retention to every app opened so far (also runs on a timer and at each segment roll). */
  enforceRetention(): Promise<void>;
  /** Closes and deletes an app's segments (the app was deleted); a later append starts a fresh log. */
  removeApp(appId: string): Promise<void>;
};

/** The embedded LogStore: append-only segment files per app under `dataDir` (see ADR 0030). */
export function createFileLogStore(options: FileLogStoreOptions): FileLogStore {
  const dataDir = resolve(options.dataDir);
  const appOptions: AppLogOptions = {
    segmentBytes: options.segmentBytes ?? 16 * 1024 * 1024,
    maxAgeMs: options.maxAgeMs ?? 7 * 24 * 3600 * 1000,
    maxBytes: options.maxBytes ?? 1024 * 1024 * 1024,
    minLines: options.minLines ?? 100_000,
    fsyncIntervalMs: options.fsyncIntervalMs ?? 200,
    now: options.now ?? Date.now,
  };
  const logs = new Map<string, Promise<AppLog>>();
  const logOf = (appId: string): Promise<AppLog> => {
    let log = logs.get(appId);
    if (log === undefined) {
      log = AppLog.open(join(dataDir, appDirName(appId)), appId, appOptions);
      logs.set(appId, log);
      // A failed open (e.g. unreadable directory) is retried on the next call instead of cached.
      log.catch(() => logs.delete(appId));
    }
    return log;
  };
  const enforceRetention = async (): Promise<void> => {
    for (const log of logs.values()) await (await log).enforceRetention();
  };
  const timer = setInterval(() => {
    enforceRetention().catch(() => undefined);
  }, options.retentionIntervalMs ?? 3600_000).unref();

  const backend: LogBackend = {
    append: async (appId, records) => (await logOf(appId)).append(records),
    bounds: async (appId) => {
      const log = await logOf(appId);
      return { start: log.start, end: log.end };
    },
    openCursor: (appId, from) => fileCursor(logOf(appId), from),
    close: async () => {
      clearInterval(timer);
      const all = await Promise.allSettled(logs.values());
      for (const result of all) if (result.status === "fulfilled") await result.value.close();
    },
  };
  const removeApp = async (appId: string): Promise<void> => {
    const log = logs.get(appId);
    logs.delete(appId);
    if (log) await (await log.catch(() => null))?.close();
    await rm(join(dataDir, appDirName(appId)), { recursive: true, force: true });
  };
  return { ...createLogStore(backend), enforceRetention, removeApp };
}

function fileCursor(logPromise: Promise<AppLog>, from: number): LogCursor {
  let position = from;
  return {
    async take(max, { signal, waitMs }) {
      const log = await logPromise;
      for (;;) {
        if (position < log.start) position = log.start;
        if (position < log.end) {
          const records = await log.read(position, max);
          const last = records.at(-1);
          if (last !== undefined) {
            position = last.offset + 1;
            return { records, end: log.end };
          }
        }
        if (!(await log.waitFor(position, signal, waitMs)))
          return { records: [], end: log.end, closed: log.isClosed };
      }
    },
    seek(offset) {
      position = offset;
    },
    close: async () => undefined,
  };
}
