import type { Deployment, DeploymentProgress } from "@kli8nt/core";

/** The INFORM message announcing a deployment's new state (written to the outbox with the transition). */
export function progressMessage(deployment: Deployment, step: "build" | "deploy"): DeploymentProgress {
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
    at: new Date().toISOString(),
  };
}
