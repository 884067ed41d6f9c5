import type { App, Deployment, DeploymentState } from "@kli8nt/core";
import {
  findAppById,
  findDeploymentById,
  findPreviewByAppId,
  getGitHubDeployment,
  markGitHubTokenInvalid,
  saveGitHubDeployment,
} from "@kli8nt/db";
import {
  type DeploymentState as GitHubState,
  isGitHubError,
  type RetryOptions,
  retryGitHub,
} from "@kli8nt/github";
import { appUrl } from "../views.ts";
import { type GitHubDeps, silentLog } from "./github-deps.ts";
import { noteFromDeployment, type PreviewTarget, previewTargetOf } from "./previews/preview-status.ts";
import { type GitHubRepoRef, parseGitHubRepoUrl } from "./repo-url.ts";
import { clientFor, userAccessToken } from "./user-github.ts";

const GITHUB_STATE: Readonly<Record<DeploymentState, GitHubState>> = {
  queued: "queued",
  building: "in_progress",
  built: "in_progress",
  deploying: "in_progress",
  live: "success",
  failed: "failure",
  cancelled: "error",
  superseded: "inactive",
};

// A status never goes back (a late "building" after "live" is dropped), except out of inactive: a rollback.
const RANK: Readonly<Record<GitHubState, number>> = {
  queued: 0,
  in_progress: 1,
  success: 2,
  failure: 2,
  error: 2,
  inactive: 3,
};

function description(d: Deployment, url: string): string {
  switch (d.state) {
    case "queued":
      return `Kli8nt deployment #${d.number} queued`;
    case "building":
    case "built":
      return "Building";
    case "deploying":
      return "Rolling out";
    case "live":
      return `Live at ${url}`;
    case "failed":
      return d.reason ?? "The deployment failed";
    case "cancelled":
      return "Cancelled";
    case "superseded":
      return "Superseded by a newer deployment";
  }
}

function isStale(next: GitHubState, last: string | null | undefined): boolean {
  if (!last) return false;
  if (last === next) return true;
  return last !== "inactive" && RANK[next] < (RANK[last as GitHubState] ?? 0);
}

async function post(
  deps: GitHubDeps,
  app: App,
  repo: GitHubRepoRef,
  d: Deployment,
  retry: RetryOptions,
  preview: PreviewTarget | null,
) {
  const state = GITHUB_STATE[d.state];
  const existing = await getGitHubDeployment(deps.db, d.id);
  if (isStale(state, existing?.lastState) || (!existing && state === "inactive")) return;
  const github = clientFor(deps, await userAccessToken(deps, app.ownerId));
  let githubDeploymentId = existing?.githubDeploymentId;
  if (githubDeploymentId === undefined) {
    const created = await retryGitHub(
      () =>
        github.createDeployment({
          owner: repo.owner,
          repo: repo.repo,
          sha: d.commitSha ?? d.ref,
          // A preview is its app's transient "<app>/pr-<n>" environment (ADR 0200).
          environment: preview?.environment ?? app.name,
          ...(preview ? { productionEnvironment: false, transientEnvironment: true } : {}),
          description: `Kli8nt deployment #${d.number}`,
          payload: { kli8ntDeploymentId: d.id },
        }),
      retry,
    );
    githubDeploymentId = created.id;
    const row = { deploymentId: d.id, repoFullName: repo.fullName, githubDeploymentId, lastState: null };
    await saveGitHubDeployment(deps.db, row);
  }
  const url = d.url ?? appUrl(deps.config.appUrlTemplate, app.name);
  const id = githubDeploymentId;
  await retryGitHub(
    () =>
      github.createDeploymentStatus({
        owner: repo.owner,
        repo: repo.repo,
        deploymentId: id,
        state,
        description: description(d, url),
        logUrl: `${deps.config.publicUrl}/apps/${app.name}`,
        ...(state === "success" ? { environmentUrl: url } : {}),
      }),
    retry,
  );
  await saveGitHubDeployment(deps.db, {
    deploymentId: d.id,
    repoFullName: repo.fullName,
    githubDeploymentId: id,
    lastState: state,
  });
}

async function sync(deps: GitHubDeps, deployment: Deployment, retry: RetryOptions): Promise<void> {
  let ownerId: string | undefined;
  try {
    const app = await findAppById(deps.db, deployment.appId);
    const preview = app ? await previewTargetOf(deps, await findPreviewByAppId(deps.db, app.id)) : null;
    // A preview reports on its app's repository, even when its code comes from a fork.
    const repoUrl = preview?.parent.repository.url ?? app?.repository.url;
    const repo = repoUrl ? parseGitHubRepoUrl(deps.config.github.webUrl, repoUrl) : null;
    if (!app || !repo) return;
    ownerId = app.ownerId;
    await post(deps, app, repo, deployment, retry, preview);
    if (preview) await noteFromDeployment(deps, repo, preview, deployment);
  } catch (err) {
    if (ownerId && isGitHubError(err, "GITHUB_UNAUTHORIZED")) {
      await markGitHubTokenInvalid(deps.db, ownerId).catch(() => undefined);
    }
    (deps.logger ?? silentLog).warn(
      { err, code: (err as { code?: unknown }).code, deploymentId: deployment.id, state: deployment.state },
      "Failed to update GitHub deployment status",
    );
  }
}

// One chain per deployment, so statuses reach GitHub in the order of the transitions.
const chains = new Map<string, Promise<void>>();

/**
 * Mirrors a Kli8nt deployment on GitHub: creates the GitHub Deployment (environment = app name) the first
 * time, then posts the status for `deployment.state` (queued, in_progress, success with environment_url,
 * failure, error, inactive). Call it after every transition, without awaiting it on the deploy path: it
 * retries GitHub outages with backoff (retryGitHub), never rejects, and does nothing for apps whose
 * repository is not on the configured GitHub or whose owner has no usable GitHub token.
 */
export function syncGitHubDeploymentStatus(
  deps: GitHubDeps,
  deployment: Deployment,
  retry: RetryOptions = {},
): Promise<void> {
  const previous = chains.get(deployment.id) ?? Promise.resolve();
  const next = previous.then(() => sync(deps, deployment, retry));
  chains.set(deployment.id, next);
  void next.finally(() => {
    if (chains.get(deployment.id) === next) chains.delete(deployment.id);
  });
  return next;
}

/** The same, by id: for callers (the INFORM consumer) that hold only deployment ids. Never rejects. */
export async function syncGitHubDeploymentById(deps: GitHubDeps, deploymentId: string): Promise<void> {
  try {
    const deployment = await findDeploymentById(deps.db, deploymentId);
    if (deployment) await syncGitHubDeploymentStatus(deps, deployment);
  } catch (err) {
    (deps.logger ?? silentLog).warn({ err, deploymentId }, "Failed to update GitHub deployment status");
  }
}
