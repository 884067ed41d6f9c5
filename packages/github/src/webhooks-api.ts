import type { Octokit } from "@octokit/rest";
import { isGitHubError } from "./github-error.ts";

export interface WebhookSpec {
  owner: string;
  repo: string;
  /** Kli8nt's public webhook endpoint. */
  url: string;
  /** HMAC secret; GitHub signs each delivery with it (`X-Hub-Signature-256`). */
  secret: string;
  events?: string[];
}

/** Creates a JSON `push` webhook on the repository (needs admin rights on it). */
export async function createWebhook(octokit: Octokit, spec: WebhookSpec): Promise<{ id: number }> {
  const { data } = await octokit.rest.repos.createWebhook({
    owner: spec.owner,
    repo: spec.repo,
    name: "web",
    active: true,
    events: spec.events ?? ["push"],
    config: { url: spec.url, content_type: "json", secret: spec.secret, insecure_ssl: "0" },
  });
  return { id: data.id };
}

/** Sets the events of an existing webhook (an older hook made for `push` only gains `pull_request`). */
export async function updateWebhookEvents(
  octokit: Octokit,
  spec: { owner: string; repo: string; hookId: number; events: string[] },
): Promise<void> {
  await octokit.rest.repos.updateWebhook({
    owner: spec.owner,
    repo: spec.repo,
    hook_id: spec.hookId,
    events: spec.events,
    active: true,
  });
}

/** Deletes a webhook; returns false when it was already gone (deleting an app must be repeatable). */
export async function deleteWebhook(
  octokit: Octokit,
  owner: string,
  repo: string,
  hookId: number,
): Promise<boolean> {
  try {
    await octokit.rest.repos.deleteWebhook({ owner, repo, hook_id: hookId });
    return true;
  } catch (err) {
    if (isGitHubError(err, "GITHUB_NOT_FOUND")) return false;
    throw err;
  }
}
