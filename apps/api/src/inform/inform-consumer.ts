import type { Bus, Consumer } from "@kli8nt/bus";
import { MESSAGE_SCHEMAS, QUEUES } from "@kli8nt/core";
import type { Db } from "@kli8nt/db";
import type { Logger } from "pino";
import type { EventHub } from "../events/event-hub.ts";
import { syncGitHubDeploymentById } from "../github/deployment-status.ts";
import type { GitHubDeps } from "../github/github-deps.ts";
import { applyProgress } from "./apply-progress.ts";

export interface InformConsumerDeps {
  readonly db: Db;
  readonly bus: Bus;
  readonly logger: Logger;
  /** When given, every recorded change is mirrored to the GitHub Deployment (never awaited, never fails). */
  readonly github?: GitHubDeps | undefined;
  /** When given, every message pushes the deployment's current row (and superseded ones) to its owner. */
  readonly events?: EventHub | undefined;
  /** When given, queues the notifications the deployment's recorded state calls for (ADR 0186). */
  readonly notify?: ((deploymentId: string) => Promise<void>) | undefined;
}

/** Consumes INFORM: deployment rows follow the controllers' progress; superseded releases are marked. */
export async function startInformConsumer(deps: InformConsumerDeps): Promise<Consumer> {
  const logger = deps.logger.child({ component: "inform" });
  const github = deps.github;
  return deps.bus.consume(
    QUEUES.inform,
    MESSAGE_SCHEMAS.INFORM,
    async (message) => {
      const result = await applyProgress(deps.db, message);
      // Awaited: the message is acknowledged only once its notifications are durably queued.
      await deps.notify?.(message.deploymentId);
      logger.info(
        {
          deploymentId: message.deploymentId,
          step: message.step,
          state: message.state,
          applied: result.applied,
          superseded: result.superseded,
        },
        "Recorded deployment progress",
      );
      // Sent even when nothing moved here: on a single machine the controller already moved the row.
      for (const id of [message.deploymentId, ...result.superseded]) deps.events?.deploymentChanged(id);
      if (github) {
        // The row already holds the state (whoever moved it); GitHub gets the current one, in order per id.
        for (const id of [message.deploymentId, ...result.superseded])
          void syncGitHubDeploymentById(github, id);
      }
    },
    { prefetch: 8 },
  );
}
