import type { Octokit } from "@octokit/rest";
import { GitHubError } from "./github-error.ts";

export interface DeploymentSpec {
  owner: string;
  repo: string;
  /** Deploy exactly this commit (a sha), so the GitHub Deployment matches what is built. */
  sha: string;
  /** Kli8nt uses the app name. */
  environment: string;
  description?: string;
  productionEnvironment?: boolean;
  /** A pull request preview's environment: GitHub shows it as going away (ADR 0200). */
  transientEnvironment?: boolean;
  /** Opaque JSON kept on the deployment (e.g. the Kli8nt deployment id). */
  payload?: Record<string, unknown>;
}

export type DeploymentState = "queued" | "in_progress" | "success" | "failure" | "error" | "inactive";

export interface DeploymentStatusSpec {
  owner: string;
  repo: string;
  deploymentId: number;
  state: DeploymentState;
  /** The app's URL; shown by GitHub as "View deployment" (set it on success). */
  environmentUrl?: string;
  /** Where the build/run logs are. */
  logUrl?: string;
  /** GitHub keeps at most 140 characters; longer text is cut. */
  description?: string;
  /** GitHub's default (true) only inactivates non-production environments; Kli8nt marks superseded ones itself. */
  autoInactive?: boolean;
}

/**
 * Creates a GitHub Deployment for a commit. `auto_merge: false` and no required contexts: Kli8nt
 * deploys the pushed commit as is, and must not be refused because some unrelated check is pending.
 */
export async function createDeployment(
  octokit: Octokit,
  spec: DeploymentSpec,
): Promise<{ id: number; sha: string }> {
  const res = await octokit.rest.repos.createDeployment({
    owner: spec.owner,
    repo: spec.repo,
    ref: spec.sha,
    environment: spec.environment,
    auto_merge: false,
    required_contexts: [],
    production_environment: spec.productionEnvironment ?? true,
    ...(spec.transientEnvironment !== undefined ? { transient_environment: spec.transientEnvironment } : {}),
    ...(spec.description !== undefined ? { description: spec.description.slice(0, 140) } : {}),
    ...(spec.payload !== undefined ? { payload: spec.payload } : {}),
  });
  if (res.status !== 201 || !("id" in res.data)) {
    throw new GitHubError("GITHUB_INVALID_REQUEST", "GitHub did not create the deployment", {
      details: { status: res.status },
    });
  }
  return { id: res.data.id, sha: res.data.sha };
}

export async function createDeploymentStatus(
  octokit: Octokit,
  spec: DeploymentStatusSpec,
): Promise<{ id: number }> {
  const { data } = await octokit.rest.repos.createDeploymentStatus({
    owner: spec.owner,
    repo: spec.repo,
    deployment_id: spec.deploymentId,
    state: spec.state,
    auto_inactive: spec.autoInactive ?? false,
    ...(spec.environmentUrl !== undefined ? { environment_url: spec.environmentUrl } : {}),
    ...(spec.logUrl !== undefined ? { log_url: spec.logUrl } : {}),
    ...(spec.description !== undefined ? { description: spec.description.slice(0, 140) } : {}),
  });
  return { id: data.id };
}

/** Statuses of one deployment, oldest first. */
export async function listDeploymentStatuses(
  octokit: Octokit,
  owner: string,
  repo: string,
  deploymentId: number,
) {
  const statuses = await octokit.paginate(octokit.rest.repos.listDeploymentStatuses, {
    owner,
    repo,
    deployment_id: deploymentId,
    per_page: 100,
  });
  return statuses
    .map((s) => ({
      id: s.id,
      state: s.state,
      environmentUrl: s.environment_url ?? "",
      description: s.description ?? "",
    }))
    .reverse();
}
