import type { App, Deployment } from "@kli8nt/core";
import { findAppById, type PreviewRecord } from "@kli8nt/db";
import { appUrl } from "../../views.ts";
import type { GitHubDeps } from "../github-deps.ts";
import type { GitHubRepoRef } from "../repo-url.ts";
import { notePreview, type PreviewNote, previewCommentBody } from "./preview-comment.ts";

/** A preview as its GitHub reporting sees it: the app it previews and its environment name. */
export interface PreviewTarget {
  readonly parent: App;
  readonly record: PreviewRecord;
  /** `<app>/pr-<n>`. */
  readonly environment: string;
}

export async function previewTargetOf(
  deps: GitHubDeps,
  record: PreviewRecord | null,
): Promise<PreviewTarget | null> {
  const parent = record ? await findAppById(deps.db, record.parentId) : null;
  if (!record || !parent) return null;
  return { parent, record, environment: `${parent.name}/pr-${record.prNumber}` };
}

const NOTE_STATE: Partial<Record<Deployment["state"], PreviewNote["state"]>> = {
  queued: "queued",
  building: "building",
  live: "live",
  failed: "failed",
};

/** Edits the pull request's one comment to say where this deployment of the preview is. */
export async function noteFromDeployment(
  deps: GitHubDeps,
  repo: GitHubRepoRef,
  preview: PreviewTarget,
  d: Deployment,
): Promise<void> {
  const state = NOTE_STATE[d.state];
  // Intermediate steps and superseded deployments leave the comment as it is.
  if (!state || (d.commitSha && d.commitSha !== preview.record.headSha)) return;
  const app = preview.record.app;
  const body = previewCommentBody(preview.parent.name, preview.record, {
    state,
    url: d.url ?? appUrl(deps.config.appUrlTemplate, app.name),
    logsUrl: `${deps.config.publicUrl}/apps/${app.name}`,
    sha: d.commitSha ?? preview.record.headSha,
    detail: state === "failed" ? (d.reason ?? "The deployment failed") : undefined,
  });
  await notePreview(deps, { ownerId: preview.parent.ownerId, repo, previewAppId: app.id }, body);
}
