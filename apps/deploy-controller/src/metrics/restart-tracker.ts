import { type Db, recordRestarts, schema } from "@kli8nt/db";
import { eq } from "drizzle-orm";

/**
 * Turns the live releases' restart counters (kept on the deployment row by the local heal loop) into
 * restarts per minute in the metrics. The first look at a release is its baseline, so a platform restart
 * does not count old restarts again. Deployments count restarts as a whole, not per process type: they are
 * recorded on `web`, the process the router serves. One process only (`kli8nt start`): two trackers would
 * count each restart twice.
 */
export class RestartTracker {
  readonly #db: Db;
  #seen = new Map<string, number>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** Records the restarts since the last call; returns how many. */
  async track(now: Date): Promise<number> {
    const rows = await this.#db
      .select({
        id: schema.deployments.id,
        appId: schema.deployments.appId,
        restarts: schema.deployments.restarts,
      })
      .from(schema.deployments)
      .where(eq(schema.deployments.state, "live"));
    const next = new Map<string, number>();
    let total = 0;
    for (const row of rows) {
      next.set(row.id, row.restarts);
      const before = this.#seen.get(row.id);
      if (before === undefined || row.restarts <= before) continue;
      await recordRestarts(this.#db, row.appId, "web", now, row.restarts - before);
      total += row.restarts - before;
    }
    this.#seen = next;
    return total;
  }
}
