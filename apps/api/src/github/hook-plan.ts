import type { GitHubHookRow } from "@kli8nt/db";
import { type GitHubRepoRef, parseGitHubRepoUrl } from "./repo-url.ts";

export interface AppRepository {
  readonly id: string;
  readonly ownerId: string;
  readonly repoUrl: string;
}

/** What Kli8nt's hooks subscribe to: pushes deploy, pull requests make previews (ADR 0200). */
export const HOOK_EVENTS: readonly string[] = ["push", "pull_request"];

export interface HookPlan {
  /** Hooks to delete on GitHub (their app is gone, or now points elsewhere), then forget. */
  readonly remove: GitHubHookRow[];
  /** GitHub-backed apps without a hook (or whose last attempt failed long enough ago). */
  readonly create: Array<{ appId: string; userId: string; repo: GitHubRepoRef }>;
  /** Current hooks made for fewer events (before previews): they gain the missing ones. */
  readonly update: GitHubHookRow[];
}

/** A made hook (not a failed attempt) subscribed to fewer events than Kli8nt uses now. */
function needsEvents(hook: GitHubHookRow | undefined): hook is GitHubHookRow {
  return hook !== undefined && hook.hookId !== null && HOOK_EVENTS.some((e) => !hook.events.includes(e));
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
  const plan: HookPlan = { remove: [], create: [], update: [] };
  const seen = new Set<string>();
  for (const app of apps) {
    seen.add(app.id);
    planApp(plan, app, byApp.get(app.id), opts);
  }
  for (const hook of hooks) if (!seen.has(hook.appId)) plan.remove.push(hook);
  return plan;
}

function planApp(
  plan: HookPlan,
  app: AppRepository,
  hook: GitHubHookRow | undefined,
  opts: { webUrl: string; now: number; retryFailedAfterMs: number },
): void {
  const repo = parseGitHubRepoUrl(opts.webUrl, app.repoUrl);
  const current = isCurrent(hook, repo, app.ownerId);
  if (hook && !current) plan.remove.push(hook);
  if (repo && (!current || shouldRetry(hook, opts)))
    plan.create.push({ appId: app.id, userId: app.ownerId, repo });
  else if (current && needsEvents(hook)) plan.update.push(hook);
}
