import { type Db, schema } from "@kli8nt/db";
import { and, eq, inArray } from "drizzle-orm";
import type { DeployLogger } from "../deploy-handler.ts";
import type { KubernetesDeployer } from "./kubernetes-deployer.ts";
import type { DesiredApp } from "./reconcile-all.ts";
import { type DomainApp, type DomainUpdate, syncDomains } from "./sync-domains.ts";

/**
 * The domain rows of every app whose web Service exists (a live release with `web`): what syncDomains
 * converges. Apps with no such release get nothing, and their rows stay as they are (`pending`).
 */
export async function readDomainApps(db: Db, desired: readonly DesiredApp[]): Promise<DomainApp[]> {
  const serving = desired.filter((d) => d.live?.release.processes?.some((p) => p.type === "web") ?? false);
  if (serving.length === 0) return [];
  const rows = await db
    .select({
      appId: schema.domains.appId,
      hostname: schema.domains.hostname,
      status: schema.domains.status,
      detail: schema.domains.detail,
      notAfter: schema.domains.certNotAfter,
    })
    .from(schema.domains)
    .where(
      inArray(
        schema.domains.appId,
        serving.map((d) => d.app.id),
      ),
    );
  return serving.map((d) => ({ app: d.app, domains: rows.filter((r) => r.appId === d.app.id) }));
}

/** Writes each changed status and detail (a row deleted meanwhile is simply not updated). */
export async function writeDomainUpdates(db: Db, updates: readonly DomainUpdate[]): Promise<void> {
  for (const u of updates) {
    await db
      .update(schema.domains)
      // The certificate itself stays in the cluster's Secret: only its expiry is shown.
      .set({ status: u.status, detail: u.detail, certNotAfter: u.notAfter, updatedAt: new Date() })
      .where(and(eq(schema.domains.appId, u.appId), eq(schema.domains.hostname, u.hostname)));
  }
}

/**
 * One custom-domain pass of the resync (docs/adr/0223): rows → objects → statuses back into the rows.
 * A failure is logged and left to the next resync; it never fails the apps' own reconcile.
 */
export async function convergeDomains(
  db: Db,
  deployer: KubernetesDeployer,
  desired: readonly DesiredApp[],
  logger: Pick<DeployLogger, "warn">,
): Promise<number> {
  try {
    const updates = await syncDomains(deployer.api, deployer.settings, await readDomainApps(db, desired));
    await writeDomainUpdates(db, updates);
    return updates.length;
  } catch (error) {
    logger.warn({ err: error }, "Syncing custom domains failed; the next resync retries");
    return 0;
  }
}
