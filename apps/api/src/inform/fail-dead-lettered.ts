import type { Bus, DeadLetter } from "@kli8nt/bus";
import { type DeploymentProgress, type DeploymentState, isInFlight } from "@kli8nt/core";
import { type Db, enqueueMessage, schema } from "@kli8nt/db";
import { eq } from "drizzle-orm";

const STEP_OF = { BUILD: "build", DEPLOY: "deploy" } as const;

export interface DeadLetterLogger {
  error(obj: object, msg: string): void;
}

function deploymentIdOf(letter: DeadLetter): string | null {
  try {
    const body = JSON.parse(letter.rawBody) as { deploymentId?: unknown };
    return typeof body.deploymentId === "string" ? body.deploymentId : null;
  } catch {
    // Not JSON (that is why it was dead-lettered): no deployment to fail; logged by the caller.
    return null;
  }
}

/**
 * Fails the deployment of every dead-lettered BUILD or DEPLOY message with the reason it was given up on,
 * so no deployment stays in flight for a message nobody will deliver again. The failure travels as an
 * INFORM progress through the outbox, like any other (GitHub status, browsers); a deployment that already
 * ended is left alone. Each letter is logged at error level for operators. Returns the deployments failed.
 */
export async function failDeadLettered(db: Db, bus: Bus, logger: DeadLetterLogger): Promise<string[]> {
  const failed: string[] = [];
  for (const queue of ["BUILD", "DEPLOY"] as const) {
    for (const letter of await bus.takeDeadLetters(queue, 100)) {
      const id = deploymentIdOf(letter);
      logger.error(
        { queue, deploymentId: id, reason: letter.reason, attempts: letter.attempts },
        "Message dead-lettered",
      );
      if (id === null) continue;
      const [row] = await db.select().from(schema.deployments).where(eq(schema.deployments.id, id));
      if (!row || !isInFlight(row.state as DeploymentState)) continue;
      const progress: DeploymentProgress = {
        type: "DeploymentProgress",
        version: 1,
        deploymentId: id,
        appId: row.appId,
        step: STEP_OF[queue],
        state: "failed",
        reason: `The ${STEP_OF[queue]} step gave up: ${letter.reason}`.slice(0, 4096),
        url: null,
        image: row.image,
        commitSha: row.commitSha,
        at: new Date().toISOString(),
      };
      await enqueueMessage(db, "INFORM", progress);
      failed.push(id);
    }
  }
  return failed;
}
