import type { Deployment } from "./domain.ts";
import type { DeploymentProgress } from "./messages.ts";

/**
 * The INFORM message announcing a deployment's new state, from either controller (written to the outbox with
 * the transition, or published by the cluster's build controller, which has no database).
 */
export function progressMessage(
  deployment: Pick<Deployment, "id" | "appId" | "state" | "reason" | "url" | "image" | "commitSha">,
  step: "build" | "deploy",
  at: Date = new Date(),
): DeploymentProgress {
  return {
    type: "DeploymentProgress",
    version: 1,
    deploymentId: deployment.id,
    appId: deployment.appId,
    step,
    state: deployment.state,
    reason: deployment.reason,
    url: deployment.url,
    image: deployment.image,
    commitSha: deployment.commitSha,
    at: at.toISOString(),
  };
}
