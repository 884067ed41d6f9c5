import { createHash } from "node:crypto";
import { type App, isKli8ntError } from "@kli8nt/core";
import {
  findAppById,
  findGitHubHook,
  findPreview,
  getPreviewSettings,
  onceForDelivery,
  type PreviewInput,
  type PreviewSettings,
} from "@kli8nt/db";
import type { PullRequestChange } from "@kli8nt/github";
import type { FastifyRequest } from "fastify";
import type { ApiDeps } from "../../deps.ts";
import { syncGitHubDeploymentStatus } from "../deployment-status.ts";
import { decidePreview } from "./preview-decision.ts";
import {
  enforcePreviewLimit,
  provisionPreviewDatabase,
  queuePreviewDeployment,
  teardownPreview,
} from "./preview-lifecycle.ts";

export interface WebhookAnswer {
  status: "queued" | "ignored" | "duplicate";
  detail: string;
  deploymentId?: string;
}

/** The app a pull request may preview: the one whose hook delivered it, on its repo, into its branch. */
async function appForPullRequest(deps: ApiDeps, hookIdHeader: unknown, pr: PullRequestChange) {
  const hookId = Number(hookIdHeader);
  const hook = Number.isSafeInteger(hookId) ? await findGitHubHook(deps.db, hookId) : null;
  if (!hook || hook.repoFullName !== pr.repoFullName.toLowerCase()) return null;
  const app = await findAppById(deps.db, hook.appId);
  return app && app.repository.branch === pr.baseBranch ? app : null;
}

function previewInput(parentRepoUrl: string, pr: PullRequestChange): PreviewInput {
  return {
    prNumber: pr.number,
    title: pr.title.slice(0, 300),
    prUrl: pr.url,
    headRepo: pr.headRepoFullName,
    // A pull request from the same repository clones from the app's own URL (the user's token reaches it).
    cloneUrl: pr.fork ? pr.headCloneUrl : parentRepoUrl,
    headRef: pr.headRef,
    headSha: pr.headSha,
    fork: pr.fork,
  };
}

const duplicateAnswer = (id: string): WebhookAnswer => ({
  status: "duplicate",
  detail: `Delivery ${id} (or the same signed body) was already handled`,
});

/**
 * A verified `pull_request` delivery (ADR 0200): builds and deploys the head commit as the app's preview
 * `<app>-pr-<n>`, or tears the preview down, once per delivery id and signed body.
 */
export async function handlePullRequest(
  deps: ApiDeps,
  request: FastifyRequest,
  delivery: { event: string; deliveryId: string; pullRequest: PullRequestChange },
  body: Buffer,
): Promise<WebhookAnswer> {
  const { deliveryId, pullRequest: pr } = delivery;
  const parent = await appForPullRequest(deps, request.headers["x-github-hook-id"], pr);
  if (!parent) return { status: "ignored", detail: "No app deploys this repository and base branch" };
  const settings = await getPreviewSettings(deps.db, parent.id);
  const decision = decidePreview(settings, pr);
  const bodyHash = createHash("sha256").update(body).digest("hex");
  const once = { id: deliveryId, event: delivery.event, bodyHash };
  if (decision.act === "ignore") return { status: "ignored", detail: decision.reason };
  if (decision.act === "teardown") {
    const outcome = await onceForDelivery(deps.db, once, (tx) => findPreview(tx, parent.id, pr.number));
    if (outcome.duplicate) return duplicateAnswer(deliveryId);
    if (!outcome.result) return { status: "ignored", detail: `Pull request #${pr.number} has no preview` };
    await teardownPreview({ ...deps, logger: request.log }, parent, outcome.result, decision.reason);
    return { status: "queued", detail: `Tearing down the preview of #${pr.number}` };
  }
  return deployPreview(deps, request, { parent, settings, pr, once });
}

/** Queues the preview's deployment (with the delivery's record), reports it, then applies `max`. */
async function deployPreview(
  deps: ApiDeps,
  request: FastifyRequest,
  job: {
    parent: App;
    settings: PreviewSettings;
    pr: PullRequestChange;
    once: { id: string; event: string; bodyHash: string };
  },
): Promise<WebhookAnswer> {
  const { parent, settings, pr, once } = job;
  const log = { ...deps, logger: request.log };
  const queued = await queueOnce(deps, job).catch((err: unknown) => {
    // A name taken by another app: nothing a redelivery would change, so GitHub is told it was handled.
    if (isKli8ntError(err) && err.code === "PREVIEW_NAME_TAKEN") return err.message;
    throw err;
  });
  if (typeof queued === "string") return { status: "ignored", detail: queued };
  if (queued.duplicate) return duplicateAnswer(once.id);
  const { preview, created, deployment } = queued.result;
  // A fork's code is not the team's: it may get a database of its own, never a copy of the app's data.
  const database = pr.fork ? { ...settings, database: "empty" as const } : settings;
  await provisionPreviewDatabase(log, parent, preview.app, database);
  deps.onOutboxWrite();
  deps.events?.deploymentChanged(deployment.id);
  request.log.info(
    { deploymentId: deployment.id, app: parent.name, preview: preview.app.name, deliveryId: once.id },
    "Queued preview deployment from pull request",
  );
  void syncGitHubDeploymentStatus(log, deployment);
  if (created) await enforcePreviewLimit(log, parent, settings, preview.app.id);
  return {
    status: "queued",
    detail: `Deploying ${pr.headSha} as ${preview.app.name}`,
    deploymentId: deployment.id,
  };
}

function queueOnce(
  deps: ApiDeps,
  job: {
    parent: App;
    settings: PreviewSettings;
    pr: PullRequestChange;
    once: { id: string; event: string; bodyHash: string };
  },
) {
  const input = previewInput(job.parent.repository.url, job.pr);
  return onceForDelivery(deps.db, job.once, (tx) =>
    queuePreviewDeployment(tx, deps, job.parent, input, job.settings),
  );
}
