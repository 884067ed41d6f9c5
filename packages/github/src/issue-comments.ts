import type { Octokit } from "@octokit/rest";
import { isGitHubError } from "./github-error.ts";

/** Adds a comment to an issue or pull request (they share the issue comment API). */
export async function createIssueComment(
  octokit: Octokit,
  spec: { owner: string; repo: string; issueNumber: number; body: string },
): Promise<{ id: number }> {
  const { data } = await octokit.rest.issues.createComment({
    owner: spec.owner,
    repo: spec.repo,
    issue_number: spec.issueNumber,
    body: spec.body,
  });
  return { id: data.id };
}

/** Edits a comment in place; false when it is gone (someone deleted it), so the caller makes a new one. */
export async function updateIssueComment(
  octokit: Octokit,
  spec: { owner: string; repo: string; commentId: number; body: string },
): Promise<boolean> {
  try {
    await octokit.rest.issues.updateComment({
      owner: spec.owner,
      repo: spec.repo,
      comment_id: spec.commentId,
      body: spec.body,
    });
    return true;
  } catch (err) {
    if (isGitHubError(err, "GITHUB_NOT_FOUND")) return false;
    throw err;
  }
}
