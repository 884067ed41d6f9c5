import { commitDeployed, createDeployment, findAppById, listGitHubHooks } from "@kli8nt/db";
import { syncGitHubDeploymentStatus } from "./deployment-status.ts";
import { type GitHubDeps, silentLog } from "./github-deps.ts";
import { parseGitHubRepoUrl } from "./repo-url.ts";
import { withUserGitHub } from "./user-github.ts";

export interface MissedPushCheck {
  /** One pass over the apps with a webhook; returns the ids of deployments it queued. */
  run(): Promise<string[]>;
}

/**
 * Notices pushes whose webhook never arrived (GitHub outage, Kli8nt down): when an app's branch head is a
 * commit never deployed, on two passes in a row (so a delivery still in flight is not raced), it queues
 * the deployment the webhook would have. Apps never deployed from a commit are left alone: deploying them
 * first is the user's call. A commit deployed before (e.g. after a rollback) is never redeployed here.
 */
export function createMissedPushCheck(deps: GitHubDeps & { onOutboxWrite?: () => void }): MissedPushCheck {
  const suspects = new Map<string, string>();
  const log = deps.logger ?? silentLog;

  async function checkApp(appId: string, userId: string): Promise<string | null> {
    const app = await findAppById(deps.db, appId);
    const repo = app ? parseGitHubRepoUrl(deps.config.github.webUrl, app.repository.url) : null;
    if (!app || !repo) return null;
    const head = await withUserGitHub(deps, userId, (gh) =>
      gh.resolveRef(repo.owner, repo.repo, app.repository.branch),
    );
    const seen = await commitDeployed(deps.db, app.id, head.sha);
    if (!seen.deployedBefore || seen.commitDeployed) {
      suspects.delete(app.id);
      return null;
    }
    if (suspects.get(app.id) !== head.sha) {
      suspects.set(app.id, head.sha);
      return null;
    }
    suspects.delete(app.id);
    const deployment = await createDeployment(deps.db, app, {
      ref: app.repository.branch,
      commitSha: head.sha,
      trigger: "push",
    });
    deps.onOutboxWrite?.();
    log.info(
      { deploymentId: deployment.id, appId: app.id, commitSha: head.sha },
      "Queued deployment for a missed push",
    );
    void syncGitHubDeploymentStatus(deps, deployment);
    return deployment.id;
  }

  return {
    async run() {
      const queued: string[] = [];
      for (const hook of await listGitHubHooks(deps.db)) {
        if (hook.hookId === null) continue;
        try {
          const id = await checkApp(hook.appId, hook.userId);
          if (id) queued.push(id);
        } catch (err) {
          log.warn({ err, appId: hook.appId }, "Failed to check for a missed push");
        }
      }
      return queued;
    },
  };
}
