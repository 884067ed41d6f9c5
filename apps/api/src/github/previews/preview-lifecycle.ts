import type { App, Deployment } from "@kli8nt/core";
import {
  activeGitHubDeploymentsOf,
  copyEnvToPreview,
  createDeployment,
  type Db,
  deleteApp,
  listPreviews,
  type PreviewInput,
  type PreviewRecord,
  type PreviewSettings,
  saveGitHubDeployment,
  upsertPreview,
} from "@kli8nt/db";
import { retryGitHub } from "@kli8nt/github";
import type { ApiDeps } from "../../deps.ts";
import { appUrl } from "../../views.ts";
import { type GitHubLog, silentLog } from "../github-deps.ts";
import { parseGitHubRepoUrl } from "../repo-url.ts";
import { withUserGitHub } from "../user-github.ts";
import { notePreview, previewCommentBody } from "./preview-comment.ts";
import { keepPreviewLogs } from "./preview-logs.ts";

export type PreviewDeps = ApiDeps & { readonly logger?: GitHubLog | undefined };

/**
 * Creates or moves the preview and queues its deployment of the head commit, in the caller's transaction
 * (with the webhook delivery's record): the preview's own app row, its variables, the deployment and its
 * BuildRequested outbox row commit together.
 */
export async function queuePreviewDeployment(
  tx: Db,
  deps: Pick<ApiDeps, "box">,
  parent: App,
  input: PreviewInput,
  settings: PreviewSettings,
): Promise<{ preview: PreviewRecord; created: boolean; deployment: Deployment }> {
  const { preview, created } = await upsertPreview(tx, parent, input);
  await copyEnvToPreview(tx, deps.box, preview, settings);
  const deployment = await createDeployment(tx, preview.app, {
    ref: input.headRef,
    commitSha: input.headSha,
    trigger: "push",
  });
  return { preview, created, deployment };
}

/**
 * With a Postgres add-on on the parent, the preview gets its own database before its deployment is published
 * (so its first release already has its DATABASE_URL): empty, or a copy as the settings say (ADR 0201). A
 * failure is logged and the preview deploys without it; the next push tries again.
 */
export async function provisionPreviewDatabase(
  deps: PreviewDeps,
  parent: App,
  preview: App,
  settings: PreviewSettings,
): Promise<void> {
  if (!deps.addons?.available) return;
  await deps.addons
    .provisionPreview(parent.id, preview, settings.database ?? "empty")
    .catch((err: unknown) =>
      (deps.logger ?? silentLog).warn(
        { err, appId: preview.id },
        "Failed to provision the preview's database",
      ),
    );
}

/** Marks every GitHub Deployment of the preview inactive, so the pull request stops offering its URL. */
async function inactivate(deps: PreviewDeps, parent: App, preview: PreviewRecord): Promise<void> {
  const rows = await activeGitHubDeploymentsOf(deps.db, preview.app.id);
  if (rows.length === 0) return;
  await withUserGitHub(deps, parent.ownerId, async (gh) => {
    for (const row of rows) {
      const [owner = "", repo = ""] = row.repoFullName.split("/");
      await retryGitHub(() =>
        gh.createDeploymentStatus({
          owner,
          repo,
          deploymentId: row.githubDeploymentId,
          state: "inactive",
          description: "Preview torn down",
        }),
      );
      await saveGitHubDeployment(deps.db, { ...row, lastState: "inactive" });
    }
  });
}

/**
 * Tears a preview down: its GitHub Deployments go inactive, the pull request comment says why, then its app
 * row is deleted, which is the ordinary delete path (the deploy controller's resync removes its containers,
 * route and images, or its namespace; its logs are removed here).
 */
export async function teardownPreview(
  deps: PreviewDeps,
  parent: App,
  preview: PreviewRecord,
  reason: string,
): Promise<void> {
  const log = deps.logger ?? silentLog;
  await inactivate(deps, parent, preview).catch((err: unknown) =>
    log.warn({ err, appId: preview.app.id }, "Failed to mark the preview's GitHub deployments inactive"),
  );
  const repo = parseGitHubRepoUrl(deps.config.github.webUrl, parent.repository.url);
  if (repo) {
    const body = previewCommentBody(parent.name, preview, {
      state: "torn-down",
      url: appUrl(deps.config.appUrlTemplate, preview.app.name),
      logsUrl: `${deps.config.publicUrl}/apps/${parent.name}`,
      sha: preview.headSha,
      detail: reason,
    });
    await notePreview(deps, { ownerId: parent.ownerId, repo, previewAppId: preview.app.id }, body);
  }
  // Its databases go first: deleting the app row would forget them (ADR 0201). One that cannot be dropped
  // now keeps the preview, so a later close or DELETE tries again rather than leaving it behind.
  try {
    await deps.addons?.removePreview(preview.app.id);
  } catch (err) {
    log.warn({ err, appId: preview.app.id }, "Failed to drop the preview's database; the preview is kept");
    return;
  }
  const deleted = await deleteApp(deps.db, parent.ownerId, preview.app.name).catch(() => null);
  if (!deleted) return;
  deps.events?.appDeleted(deleted.ownerId, deleted.name);
  // Its logs stay readable for the retention, then the retention pass removes them (ADR 0203); a failure
  // to remember it must not fail the teardown (nor the webhook delivery that asked for it).
  await keepPreviewLogs({ ...deps, logger: log }, parent, preview, new Date()).catch((err: unknown) =>
    log.warn({ err, appId: deleted.id }, "Failed to keep the preview's logs"),
  );
  log.info({ app: parent.name, preview: preview.app.name, reason }, "Tore down preview");
}

/** Keeps at most `max` previews: the oldest others go first, with a note on their pull requests. */
export async function enforcePreviewLimit(
  deps: PreviewDeps,
  parent: App,
  settings: PreviewSettings,
  keep: string,
): Promise<void> {
  const all = await listPreviews(deps.db, parent.id);
  const others = all.filter((p) => p.app.id !== keep);
  const excess = all.length - settings.max;
  for (const oldest of others.slice(0, Math.max(excess, 0))) {
    const reason = `Torn down: \`${parent.name}\` keeps at most ${settings.max} previews and this was the oldest. Push a commit or reopen to bring it back.`;
    await teardownPreview(deps, parent, oldest, reason);
  }
}
