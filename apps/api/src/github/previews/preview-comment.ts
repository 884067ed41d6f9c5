import type { PreviewRecord } from "@kli8nt/db";
import { findPreviewByAppId, setPreviewComment } from "@kli8nt/db";
import { retryGitHub } from "@kli8nt/github";
import { type GitHubDeps, silentLog } from "../github-deps.ts";
import type { GitHubRepoRef } from "../repo-url.ts";
import { withUserGitHub } from "../user-github.ts";

/** What the comment says about the preview now. */
export interface PreviewNote {
  readonly state: "queued" | "building" | "live" | "failed" | "torn-down";
  readonly url: string;
  readonly logsUrl: string;
  readonly sha: string;
  /** Why it was torn down, or why it failed. */
  readonly detail?: string | undefined;
}

const HEADLINE: Readonly<Record<PreviewNote["state"], string>> = {
  queued: "⏳ Queued",
  building: "🔨 Building",
  live: "✅ Live",
  failed: "❌ Failed",
  "torn-down": "🗑️ Torn down",
};

/** The comment's Markdown: one short table, so an edit in place reads as the preview's current state. */
export function previewCommentBody(appName: string, preview: PreviewRecord, note: PreviewNote): string {
  const url = note.state === "torn-down" ? `~~${note.url}~~` : note.url;
  return [
    `<!-- kli8nt-preview:${preview.app.id} -->`,
    `**Kli8nt preview** of \`${appName}\` for #${preview.prNumber}`,
    "",
    "| State | URL | Commit | Logs |",
    "|---|---|---|---|",
    `| ${HEADLINE[note.state]} | ${url} | \`${note.sha.slice(0, 7)}\` | [logs](${note.logsUrl}) |`,
    ...(note.detail ? ["", note.detail] : []),
  ].join("\n");
}

// One chain per preview, so a fast "queued" then "live" never make two comments.
const chains = new Map<string, Promise<void>>();

async function writeComment(
  deps: GitHubDeps,
  ownerId: string,
  repo: GitHubRepoRef,
  previewAppId: string,
  body: string,
): Promise<void> {
  const preview = await findPreviewByAppId(deps.db, previewAppId);
  if (!preview) return;
  await withUserGitHub(deps, ownerId, async (gh) => {
    const commentId = preview.commentId;
    if (commentId !== null) {
      const edited = await retryGitHub(() =>
        gh.updateIssueComment({ owner: repo.owner, repo: repo.repo, commentId, body }),
      );
      if (edited) return;
    }
    const { id } = await retryGitHub(() =>
      gh.createIssueComment({ owner: repo.owner, repo: repo.repo, issueNumber: preview.prNumber, body }),
    );
    await setPreviewComment(deps.db, previewAppId, id);
  });
}

/**
 * Creates the pull request's one Kli8nt comment, or edits it in place (its id is kept on the preview).
 * Never rejects: a comment is a courtesy, the GitHub Deployment status carries the same news.
 */
export function notePreview(
  deps: GitHubDeps,
  target: { ownerId: string; repo: GitHubRepoRef; previewAppId: string },
  body: string,
): Promise<void> {
  const previous = chains.get(target.previewAppId) ?? Promise.resolve();
  const next = previous.then(async () => {
    try {
      await writeComment(deps, target.ownerId, target.repo, target.previewAppId, body);
    } catch (err) {
      (deps.logger ?? silentLog).warn(
        { err, code: (err as { code?: unknown }).code, appId: target.previewAppId },
        "Failed to update the pull request comment",
      );
    }
  });
  chains.set(target.previewAppId, next);
  void next.finally(() => {
    if (chains.get(target.previewAppId) === next) chains.delete(target.previewAppId);
  });
  return next;
}
