import { WorkQueue } from "@kli8nt/core";
import type { KeyLock } from "../key-lock.ts";
import { type AppReconcilerDeps, appReconciler } from "./app-reconciler.ts";
import { appNames } from "./app-state.ts";

export interface LocalReconciler {
  /** Looks at one app soon (after a deploy, a delete, a crash report). */
  enqueue(appName: string): void;
  /**
   * Records an app this installation deploys as its own, so its instances go once its row does even when
   * no resync saw the row (a pull request preview opened and closed within one resync period).
   */
  adopt(appName: string): void;
  /** Enqueues every app the database or the runtime knows; what the resync timer does. */
  resync(): Promise<void>;
  /**
   * The pass at start, awaited: every app of the database converged, and whatever the runtime still runs
   * for an app the database no longer has removed (deleted while the platform was down).
   */
  initial(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalReconcilerOptions {
  /** The deploy handler's per-app lock: a reconcile never runs beside a deploy of the same app. */
  readonly lock: KeyLock;
  readonly resyncMs: number;
  readonly workers?: number;
}

/**
 * Keeps the local runtime converged on the database: a work queue keyed by app name, fed by a resync
 * timer that enqueues every app of the database, and those that were there before (deleted since). Errors are retried with the queue's per-key backoff and logged; nothing is dead-lettered.
 */
export function startLocalReconciler(
  deps: AppReconcilerDeps,
  options: LocalReconcilerOptions,
): LocalReconciler {
  // Apps this process saw in its database. Only those are removed when their row goes: podman's labelled
  // containers may belong to another installation on the same machine (or another test's platform).
  const known = new Set<string>();
  const gone = new Set<string>();
  const reconcile = appReconciler({ ...deps, wasKnown: (app) => known.has(app) });
  const queue = new WorkQueue({
    workers: options.workers ?? 2,
    reconcile: (app) =>
      options.lock.run(app, async () => {
        const result = await reconcile(app);
        // Removed for good: later resyncs need not look for it again.
        if (gone.delete(app)) known.delete(app);
        return result;
      }),
    onError: (app, err, retryInMs) => {
      deps.onReconcileError?.("app");
      deps.logger.warn({ app, err, retryInMs }, "Reconcile failed");
    },
  });
  const resync = async () => {
    const names = new Set(await appNames(deps.db));
    for (const name of known) {
      if (names.has(name)) continue;
      gone.add(name);
      queue.add(name);
    }
    for (const name of names) {
      known.add(name);
      queue.add(name);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    resync()
      .catch((err: unknown) => deps.logger.warn({ err }, "Resync failed"))
      .finally(() => {
        if (timer !== undefined) timer = setTimeout(tick, options.resyncMs);
      });
  };
  timer = setTimeout(tick, options.resyncMs);
  return {
    enqueue: (app) => queue.add(app),
    adopt: (app) => {
      known.add(app);
    },
    resync,
    async initial() {
      const names = await appNames(deps.db);
      for (const name of names) known.add(name);
      for (const name of await deps.runtime.apps()) if (!names.includes(name)) known.add(name);
      for (const name of known)
        await options.lock
          .run(name, () => reconcile(name))
          .catch((err: unknown) => {
            deps.logger.warn({ app: name, err }, "Reconcile at start failed");
            queue.add(name);
          });
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await queue.stop();
    },
  };
}
