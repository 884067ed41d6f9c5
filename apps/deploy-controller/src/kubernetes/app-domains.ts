import type { Db } from "@kli8nt/db";
import type { DeployLogger } from "../deploy-handler.ts";
import { KeyLock } from "../key-lock.ts";
import { convergeDomains, readDomainApps, writeDomainUpdates } from "./domain-rows.ts";
import type { KubernetesDeployer } from "./kubernetes-deployer.ts";
import type { DesiredApp } from "./reconcile-all.ts";
import { syncAppDomains } from "./sync-domains.ts";

export interface AppDomainsDeps {
  readonly db: Db;
  readonly deployer: KubernetesDeployer;
  readonly logger: Pick<DeployLogger, "warn">;
}

// Every domain run, per app or the resync's pass, takes this one turn.
const TURN = "domains";

/**
 * Custom domains converged per app (docs/adr/0224) beside the resync's pass (ADR 0223): the per-app
 * reconcile (ADR 0209: an AppChanged message or a deploy that returned) ends with the app's run, which
 * applies and prunes that app's domain objects only. The pass and the per-app runs take turns, so a pass
 * that read the rows before a domain was added cannot prune the Ingress a per-app run just made.
 */
export class AppDomains {
  readonly #d: AppDomainsDeps;
  readonly #turns = new KeyLock();

  constructor(deps: AppDomainsDeps) {
    this.#d = deps;
  }

  /** The resync's pass over every app: the safety net. */
  all(desired: readonly DesiredApp[]): Promise<number> {
    const { db, deployer, logger } = this.#d;
    return this.#turns.run(TURN, () => convergeDomains(db, deployer, desired, logger));
  }

  /** One app's domains; a throw is the caller's to retry. */
  app(desired: DesiredApp): Promise<void> {
    return this.#turns.run(TURN, async () => {
      const { db, deployer } = this.#d;
      // No live release with web: its rows stay as they are, as in the pass.
      const [app] = await readDomainApps(db, [desired]);
      if (!app) return;
      await writeDomainUpdates(db, await syncAppDomains(deployer.api, deployer.settings, app));
    });
  }
}
