import { type DeployRequested, isKli8ntError } from "@kli8nt/core";
import { type Db, resolveEnv, type SecretBox } from "@kli8nt/db";
import type { DeployLogger } from "../deploy-handler.ts";
import { loadDeployment, moveDeployment } from "../deployment-rows.ts";
import type { DeployOutcome, KubernetesDeployer } from "./kubernetes-deployer.ts";
import { recordDeployRequest } from "./record-deploy-request.ts";

export interface KubernetesDeployDeps {
  readonly db: Db;
  readonly box: SecretBox;
  readonly deployer: KubernetesDeployer;
  readonly logger: DeployLogger;
  /** Nudges the outbox relay after a commit (INFORM progress is written with the row). */
  readonly onOutboxWrite: () => void;
  /** Aborted when the controller is abandoned: nothing more is written, as after a crash. */
  readonly signal: AbortSignal;
}

const DONE = new Set(["live", "superseded", "failed", "cancelled"]);

/**
 * A release that can never be applied (inputs the manifests refuse, an object the API server finds
 * invalid) fails the deployment at once with the reason; anything else is thrown for redelivery.
 */
function refusal(error: unknown): DeployOutcome {
  if (!isKli8ntError(error)) throw error;
  const status = error.details.status;
  if (error.code === "MANIFEST_INPUT_INVALID") {
    const issues = error.issues.map((i) => `${i.path} ${i.message}`).join("; ");
    return { ok: false, reason: `${error.message}: ${issues}`, rolledBackTo: null };
  }
  if (error.code === "KUBERNETES_APPLY_FAILED" && (status === 400 || status === 422)) {
    return { ok: false, reason: error.message, rolledBackTo: null };
  }
  throw error;
}

/**
 * Handles DeployRequested in Kubernetes mode: record `deploying`, apply and wait for the rollout, record
 * `live` with the URL or `failed` with the reason. Progress goes through the same rows and outbox as the
 * single-machine handler, so the api sees both runtimes alike. A redelivery re-applies (a no-op) and waits.
 */
export async function deployOnKubernetes(
  deps: KubernetesDeployDeps,
  message: DeployRequested,
): Promise<void> {
  const { db, logger, signal } = deps;
  signal.throwIfAborted();
  const log = { deploymentId: message.deploymentId, app: message.appName };
  const row = await loadDeployment(db, message.deploymentId);
  if (!row || DONE.has(row.state)) {
    logger.info({ ...log, state: row?.state ?? null }, "Skipped deploy: nothing to do");
    return;
  }
  await recordDeployRequest(db, message);
  // The build controller publishes DEPLOY before its `built` INFORM, and in cluster mode the api records
  // that one asynchronously: the message itself proves the build, so record it here rather than drop it.
  if (row.state === "building")
    await moveDeployment(db, row.id, "inform:built", "built", { image: message.image });
  if (row.state !== "deploying") {
    const moved = await moveDeployment(db, row.id, "deploy:deploying", "deploying", {
      image: message.image,
    });
    deps.onOutboxWrite();
    if (!moved && (await loadDeployment(db, row.id))?.state !== "deploying") return;
  }
  const env = Object.fromEntries(
    (await resolveEnv(db, deps.box, message.appId)).map((v) => [v.key, v.value]),
  );
  const outcome = await deps.deployer
    .deploy(
      {
        app: { id: message.appId, name: message.appName },
        release: { deploymentId: message.deploymentId, image: message.image, port: message.port },
        env,
      },
      signal,
    )
    .catch(refusal);
  signal.throwIfAborted();
  if (outcome.ok) {
    await moveDeployment(db, row.id, "deploy:live", "live", { url: outcome.url, reason: null });
    logger.info({ ...log, url: outcome.url }, "Rolled out release");
  } else {
    await moveDeployment(db, row.id, "deploy:failed", "failed", { reason: outcome.reason });
    logger.warn({ ...log, reason: outcome.reason, rolledBackTo: outcome.rolledBackTo }, "Rollout failed");
  }
  deps.onOutboxWrite();
}
