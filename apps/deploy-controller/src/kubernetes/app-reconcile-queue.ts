import { WorkQueue } from "@kli8nt/core";
import type { Db, SecretBox } from "@kli8nt/db";
import type { DeployLogger } from "../deploy-handler.ts";
import type { AppDomains } from "./app-domains.ts";
import { readDesiredApp } from "./desired-state.ts";
import type { KubernetesDeployer } from "./kubernetes-deployer.ts";
import { applyLive, type DesiredApp } from "./reconcile-all.ts";

export interface AppReconcileDeps {
  readonly db: Db;
  readonly box: SecretBox;
  readonly deployer: KubernetesDeployer;
  readonly domains: AppDomains;
  readonly logger: Pick<DeployLogger, "warn">;
  /**
   * Runs the task on the app's lock, the one its deploys and the resync take; resolves false without
   * running it when a deploy owns the app (that deploy enqueues the app again when it returns).
   */
  readonly exclusive: (appName: string, task: () => Promise<void>) => Promise<boolean>;
  /** Called under the lock once the app's state is read: a resync that read the database earlier skips it. */
  readonly claimed: (appName: string) => void;
  readonly workers?: number;
}

/**
 * The per-app reconcile of the Kubernetes deploy controller (docs/adr/0209): an AppChanged message of any
 * kind, or a deploy that returned, enqueues the app's name, and its run does what the resync does for that
 * app alone: read its desired state (`readDesiredApp`), apply its live release (`applyLive`: formation,
 * restart, stop, autoscaler, CronJobs), then its custom domains (ADR 0224). Keys are de-duplicated while
 * they wait; a throw retries the whole app with the queue's backoff.
 */
export class AppReconcileQueue {
  readonly #d: AppReconcileDeps;
  readonly #queue: WorkQueue;

  constructor(deps: AppReconcileDeps) {
    this.#d = deps;
    this.#queue = new WorkQueue({
      workers: deps.workers ?? 4,
      reconcile: async (app) => {
        await this.#app(app);
        return undefined;
      },
      onError: (app, err, retryInMs) =>
        deps.logger.warn({ err, app, retryInMs }, "Reconciling the app failed; retrying"),
    });
  }

  /** Converges the app soon (de-duplicated while it waits). */
  enqueue(appName: string): void {
    this.#queue.add(appName);
  }

  /** Resolves once no run is running or waiting. */
  drained(): Promise<void> {
    return this.#queue.drained();
  }

  stop(): Promise<void> {
    return this.#queue.stop();
  }

  async #app(appName: string): Promise<void> {
    const { db, box, deployer, domains, exclusive, claimed } = this.#d;
    // Typed wide: TypeScript does not see the assignment in the task below.
    let desired = null as DesiredApp | null;
    const ran = await exclusive(appName, async () => {
      // Read under the lock: nothing of this app changes in the cluster between this read and the apply.
      desired = await readDesiredApp(db, box, appName);
      claimed(appName);
      // A deleted app (its namespace is the resync's to remove) or nothing live yet: nothing to apply.
      if (desired) await applyLive(deployer, desired);
    });
    // Skipped for a deploy in flight: its domains still converge now, not after a rollout.
    const current = ran ? desired : await readDesiredApp(db, box, appName);
    // After the release: the domains' Ingresses route to the web Service just applied.
    if (current) await domains.app(current);
  }
}
