import type { BuildRequested, Deployment } from "@kli8nt/core";
import { type Db, enqueueMessage, moveDeployment } from "@kli8nt/db";
import type { BuildClaim, BuildTracker, BuildVar } from "./build-tracker.ts";
import { appBuildSettings, appPort, loadDeployment, newerDeployment } from "./deployment-rows.ts";

export interface TrackerLogger {
  info(obj: object, msg: string): void;
}

export interface OutboxTrackerDeps {
  readonly db: Db;
  readonly logger: TrackerLogger;
  /** The app's variables marked for the build, decrypted (ADR 0157); none when absent. */
  readonly buildVars?: ((appId: string) => Promise<readonly BuildVar[]>) | undefined;
  /** Called after a commit that wrote outbox rows, so the relay publishes them at once. */
  readonly onOutboxWrite: () => void;
}

/**
 * The build's state on a single machine: each move of the deployment row writes its INFORM progress (and,
 * for `built`, the DEPLOY message) to the outbox in the same transaction. A repeated move is a no-op.
 */
export function outboxBuildTracker(deps: OutboxTrackerDeps): BuildTracker {
  const { db } = deps;
  const inform = { inform: "build" } as const;
  return {
    async claim(message) {
      const row = await claimRow(deps, message);
      if (!row) return null;
      const settings = await appBuildSettings(db, message.appId);
      return {
        owner: message.appId,
        settings,
        overrides: { port: await appPort(db, message.appId), releaseCommand: settings.releaseCommand },
        buildVars: (await deps.buildVars?.(message.appId)) ?? [],
      } satisfies BuildClaim;
    },
    async built(message, built, deploy) {
      const patch = { image: built.image, ...(built.commitSha ? { commitSha: built.commitSha } : {}) };
      await moveDeployment(db, message.deploymentId, "build:built", "built", patch, {
        ...inform,
        after: async (tx) => {
          await enqueueMessage(tx, "DEPLOY", deploy);
        },
      });
      deps.onOutboxWrite();
    },
    async failed(message, reason) {
      await moveDeployment(db, message.deploymentId, "build:failed", "failed", { reason }, inform);
      deps.onOutboxWrite();
    },
  };
}

/** The deployment to build, now `building`; null when there is nothing to do (done, cancelled, superseded). */
async function claimRow(deps: OutboxTrackerDeps, message: BuildRequested): Promise<Deployment | null> {
  const row = await loadDeployment(deps.db, message.deploymentId);
  if (!row || (row.state !== "queued" && row.state !== "building")) {
    deps.logger.info(
      { deploymentId: message.deploymentId, state: row?.state ?? null },
      "Skipped build: nothing to do",
    );
    return null;
  }
  if (row.state === "building") return row;
  if (await supersededWhileQueued(deps, row)) return null;
  const moved = await moveDeployment(deps.db, row.id, "build:building", "building", {}, { inform: "build" });
  deps.onOutboxWrite();
  return moved.kind === "stale" ? null : row;
}

/**
 * A deploy of the same app requested after this one (and not a rollback, which skips the build) makes a
 * still-queued build pointless: it is cancelled instead of built, so bursts of pushes build once.
 */
async function supersededWhileQueued(deps: OutboxTrackerDeps, row: Deployment): Promise<boolean> {
  const newer = await newerDeployment(deps.db, row.appId, row.number);
  if (!newer || newer.trigger === "rollback") return false;
  const reason = `Superseded by v${newer.number} before its build started`;
  const moved = await moveDeployment(
    deps.db,
    row.id,
    "build:cancelled",
    "cancelled",
    { reason },
    {
      inform: "build",
    },
  );
  deps.onOutboxWrite();
  deps.logger.info(
    { deploymentId: row.id, newer: newer.id, moved: moved.kind },
    "Cancelled superseded build",
  );
  return true;
}
