import type { Bus, Consumer } from "@kli8nt/bus";
import { MESSAGE_SCHEMAS, QUEUES } from "@kli8nt/core";
import type { Db } from "@kli8nt/db";
import type { Logger } from "pino";
import { applyProgress } from "./apply-progress.ts";

/** Consumes INFORM: deployment rows follow the controllers' progress; superseded releases are marked. */
export async function startInformConsumer(deps: { db: Db; bus: Bus; logger: Logger }): Promise<Consumer> {
  const logger = deps.logger.child({ component: "inform" });
  return deps.bus.consume(
    QUEUES.inform,
    MESSAGE_SCHEMAS.INFORM,
    async (message) => {
      const result = await applyProgress(deps.db, message);
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
    },
    { prefetch: 8 },
  );
}
