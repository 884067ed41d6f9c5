import { Octokit } from "@octokit/rest";
import {
  createDeployment,
  createDeploymentStatus,
  type DeploymentSpec,
  type DeploymentStatusSpec,
  listDeploymentStatuses,
} from "./deployments.ts";
import { toGitHubError } from "./github-error.ts";
import { createIssueComment, updateIssueComment } from "./issue-comments.ts";
import { listBranches, listRepos, resolveRef, searchRepos } from "./repos.ts";
import { createWebhook, deleteWebhook, updateWebhookEvents, type WebhookSpec } from "./webhooks-api.ts";

export interface GitHubClientOptions {
  /** REST base (https://api.github.com or https://<host>/api/v3). */
  apiUrl: string;
  /** The user's OAuth token; only ever sent in the Authorization header. */
  token: string;
  /** Per-request timeout; a timeout becomes GITHUB_UNAVAILABLE. */
  timeoutMs?: number;
  userAgent?: string;
}

export interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  avatarUrl: string;
}

/** Makes an Octokit that times out and whose failures are all GitHubErrors with stable codes. */
export function createOctokit(opts: GitHubClientOptions): Octokit {
  const octokit = new Octokit({
    auth: opts.token,
    baseUrl: opts.apiUrl.replace(/\/+$/, ""),
    userAgent: opts.userAgent ?? "kli8nt",
    // Octokit logs warnings and errors to the console by default; callers log our typed errors instead.
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  octokit.hook.wrap("request", async (request, options) => {
    try {
      // before-after-hook binds one options object for every layer: set the signal on it in place.
      options.request = { ...options.request, signal: AbortSignal.timeout(timeoutMs) };
      return await request(options);
    } catch (err) {
      throw toGitHubError(err, `${options.method} ${options.url}`);
    }
  });
  return octokit;
}

/** The GitHub calls Kli8nt makes, on behalf of one user token. */
export function createGitHubClient(opts: GitHubClientOptions) {
  const octokit = createOctokit(opts);
  return {
    octokit,
    async getViewer(): Promise<GitHubUser> {
      const { data } = await octokit.rest.users.getAuthenticated();
      return { id: data.id, login: data.login, name: data.name ?? null, avatarUrl: data.avatar_url };
    },
    listRepos: (page?: { page?: number; perPage?: number }) => listRepos(octokit, page),
    searchRepos: (query: string, limit?: number) => searchRepos(octokit, query, limit),
    listBranches: (owner: string, repo: string, page?: { page?: number; perPage?: number }) =>
      listBranches(octokit, owner, repo, page),
    resolveRef: (owner: string, repo: string, ref: string) => resolveRef(octokit, owner, repo, ref),
    createDeployment: (spec: DeploymentSpec) => createDeployment(octokit, spec),
    createDeploymentStatus: (spec: DeploymentStatusSpec) => createDeploymentStatus(octokit, spec),
    listDeploymentStatuses: (owner: string, repo: string, deploymentId: number) =>
      listDeploymentStatuses(octokit, owner, repo, deploymentId),
    createWebhook: (spec: WebhookSpec) => createWebhook(octokit, spec),
    deleteWebhook: (owner: string, repo: string, hookId: number) =>
      deleteWebhook(octokit, owner, repo, hookId),
    updateWebhookEvents: (spec: { owner: string; repo: string; hookId: number; events: string[] }) =>
      updateWebhookEvents(octokit, spec),
    createIssueComment: (spec: { owner: string; repo: string; issueNumber: number; body: string }) =>
      createIssueComment(octokit, spec),
    updateIssueComment: (spec: { owner: string; repo: string; commentId: number; body: string }) =>
      updateIssueComment(octokit, spec),
  };
}

export type GitHubClient = ReturnType<typeof createGitHubClient>;
