import { WorkQueue } from "@kli8nt/core";
import type { Db, SecretBox } from "@kli8nt/db";
import type { DeployLogger } from "../deploy-handler.ts";
import { KeyLock } from "../key-lock.ts";
import { readDesiredApp } from "./desired-state.ts";
import { convergeDomains, readDomainApps, writeDomainUpdates } from "./domain-rows.ts";
import type { KubernetesDeployer } from "./kubernetes-deployer.ts";
import type { DesiredApp } from "./reconcile-all.ts";
import { syncAppDomains } from "./sync-domains.ts";

export interface AppDomainsDeps {
  readonly db: Db;
  readonly box: SecretBox;
  readonly deployer: KubernetesDeployer;
  readonly logger: Pick<DeployLogger, "warn">;
}

// Every domain run, per app or the resync's pass, takes this one turn.
const TURN = "domains";

/**
 * Custom domains converged per app (docs/adr/0224) beside the resync's pass (ADR 0223): an AppChanged
 * message or a deploy gone live enqueues the app's name, and its reconcile applies and prunes that app's
 * domain objects only; a throw retries with the queue's backoff. The pass and the per-app runs take turns,
 * so a pass that read the rows before a domain was added cannot prune the Ingress a per-app run just made.
 */
export class AppDomains {
  readonly #d: AppDomainsDeps;
  readonly #turns = new KeyLock();
  readonly #queue: WorkQueue;

  constructor(deps: AppDomainsDeps) {
    this.#d = deps;
    this.#queue = new WorkQueue({
      reconcile: async (app) => {
        await this.#turns.run(TURN, () => this.#app(app));
        return undefined;
      },
      onError: (app, err, retryInMs) =>
        deps.logger.warn({ err, app, retryInMs }, "Syncing the app's custom domains failed; retrying"),
    });
  }

  /** Converges the app's domains soon (de-duplicated while it waits). */
  enqueue(appName: string): void {
    this.#queue.add(appName);
  }

  /** The resync's pass over every app: the safety net. */
  all(desired: readonly DesiredApp[]): Promise<number> {
    const { db, deployer, logger } = this.#d;
    return this.#turns.run(TURN, () => convergeDomains(db, deployer, desired, logger));
  }

  /** Resolves once no per-app run is running or waiting. */
  drained(): Promise<void> {
    return this.#queue.drained();
  }

  stop(): Promise<void> {
    return this.#queue.stop();
  }

  async #app(appName: string): Promise<void> {
    const { db, box, deployer } = this.#d;
    // A deleted app: the resync deletes its namespace, domain objects included.
    const desired = await readDesiredApp(db, box, appName);
    if (!desired) return;
    // No live release with web: its rows stay as they are, as in the pass.
    const [app] = await readDomainApps(db, [desired]);
    if (!app) return;
    await writeDomainUpdates(db, await syncAppDomains(deployer.api, deployer.settings, app));
  }
}
