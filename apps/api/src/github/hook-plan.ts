import type { GitHubHookRow } from "@kli8nt/db";
import { type GitHubRepoRef, parseGitHubRepoUrl } from "./repo-url.ts";

export interface AppRepository {
  readonly id: string;
  readonly ownerId: string;
  readonly repoUrl: string;
}

export interface HookPlan {
  /** Hooks to delete on GitHub (their app is gone, or now points elsewhere), then forget. */
  readonly remove: GitHubHookRow[];
  /** GitHub-backed apps without a hook (or whose last attempt failed long enough ago). */
  readonly create: Array<{ appId: string; userId: string; repo: GitHubRepoRef }>;
}

function isCurrent(hook: GitHubHookRow | undefined, repo: GitHubRepoRef | null, ownerId: string): boolean {
  return (
    hook !== undefined && repo !== null && hook.repoFullName === repo.fullName && hook.userId === ownerId
  );
}

function shouldRetry(hook: GitHubHookRow | undefined, opts: { now: number; retryFailedAfterMs: number }) {
  return hook?.hookId === null && hook.updatedAt.getTime() <= opts.now - opts.retryFailedAfterMs;
}

/**
 * Compares the apps with the hooks Kli8nt made (pure, so it is tested without GitHub): level-triggered,
 * so a missed app creation or deletion is caught by the next run.
 */
export function planHooks(
  apps: readonly AppRepository[],
  hooks: readonly GitHubHookRow[],
  opts: { webUrl: string; now: number; retryFailedAfterMs: number },
): HookPlan {
  const byApp = new Map(hooks.map((h) => [h.appId, h]));
  const remove: GitHubHookRow[] = [];
  const create: HookPlan["create"] = [];
  const seen = new Set<string>();
  for (const app of apps) {
    seen.add(app.id);
    const repo = parseGitHubRepoUrl(opts.webUrl, app.repoUrl);
    const hook = byApp.get(app.id);
    const current = isCurrent(hook, repo, app.ownerId);
    if (hook && !current) remove.push(hook);
    if (repo && (!current || shouldRetry(hook, opts)))
      create.push({ appId: app.id, userId: app.ownerId, repo });
  }
  for (const hook of hooks) if (!seen.has(hook.appId)) remove.push(hook);
  return { remove, create };
}
