import { isKli8ntError } from "@kli8nt/core";
import type { GitHubHookRow } from "@kli8nt/db";
import { deleteGitHubHook, listAppRepositories, listGitHubHooks, saveGitHubHook } from "@kli8nt/db";
import { type GitHubDeps, silentLog } from "./github-deps.ts";
import { HOOK_EVENTS, planHooks } from "./hook-plan.ts";
import { withUserGitHub } from "./user-github.ts";

export const WEBHOOK_PATH = "/api/github/webhook";
const RETRY_FAILED_AFTER_MS = 10 * 60_000;

/** The app id in the URL only keeps hook URLs distinct: GitHub refuses two hooks with one URL on a repo. */
export const webhookUrl = (deps: GitHubDeps, appId: string) =>
  `${deps.config.publicUrl}${WEBHOOK_PATH}?app=${encodeURIComponent(appId)}`;

function splitFullName(fullName: string): [string, string] {
  const [owner = "", repo = ""] = fullName.split("/");
  return [owner, repo];
}

async function removeHook(deps: GitHubDeps, hook: GitHubHookRow): Promise<void> {
  const log = deps.logger ?? silentLog;
  if (hook.hookId !== null) {
    const hookId = hook.hookId;
    const [owner, repo] = splitFullName(hook.repoFullName);
    try {
      await withUserGitHub(deps, hook.userId, (gh) => gh.deleteWebhook(owner, repo, hookId));
      log.info({ appId: hook.appId, hookId, repo: hook.repoFullName }, "Deleted GitHub webhook");
    } catch (err) {
      const code = isKli8ntError(err) ? err.code : undefined;
      // Only an outage is worth another try; without access the hook cannot be deleted by us at all.
      if (code === "GITHUB_UNAVAILABLE" || code === "GITHUB_RATE_LIMITED") throw err;
      log.warn(
        { err, code, hookId, repo: hook.repoFullName },
        "Could not delete GitHub webhook; forgetting it",
      );
    }
  }
  await deleteGitHubHook(deps.db, hook.appId);
}

async function createHook(
  deps: GitHubDeps,
  secret: string,
  target: ReturnType<typeof planHooks>["create"][number],
): Promise<void> {
  const { appId, userId, repo } = target;
  try {
    const { id } = await withUserGitHub(deps, userId, (gh) =>
      gh.createWebhook({
        owner: repo.owner,
        repo: repo.repo,
        url: webhookUrl(deps, appId),
        secret,
        events: [...HOOK_EVENTS],
      }),
    );
    await saveGitHubHook(deps.db, {
      appId,
      userId,
      repoFullName: repo.fullName,
      hookId: id,
      lastError: null,
      events: [...HOOK_EVENTS],
    });
    (deps.logger ?? silentLog).info({ appId, hookId: id, repo: repo.fullName }, "Created GitHub webhook");
  } catch (err) {
    const lastError = err instanceof Error ? err.message : String(err);
    await saveGitHubHook(deps.db, { appId, userId, repoFullName: repo.fullName, hookId: null, lastError });
    (deps.logger ?? silentLog).warn({ err, appId, repo: repo.fullName }, "Failed to create GitHub webhook");
  }
}

/** A hook made before previews gains `pull_request`; a failure is retried on the next pass. */
async function updateHookEvents(deps: GitHubDeps, hook: GitHubHookRow): Promise<void> {
  const hookId = hook.hookId;
  if (hookId === null) return;
  const [owner, repo] = splitFullName(hook.repoFullName);
  try {
    await withUserGitHub(deps, hook.userId, (gh) =>
      gh.updateWebhookEvents({ owner, repo, hookId, events: [...HOOK_EVENTS] }),
    );
    await saveGitHubHook(deps.db, { ...hook, events: [...HOOK_EVENTS] });
    (deps.logger ?? silentLog).info(
      { appId: hook.appId, hookId, repo: hook.repoFullName },
      "Updated GitHub webhook events",
    );
  } catch (err) {
    (deps.logger ?? silentLog).warn(
      { err, hookId, repo: hook.repoFullName },
      "Failed to update GitHub webhook events",
    );
  }
}

/** One reconcile pass: delete hooks of deleted apps, create hooks for new GitHub-backed apps. */
export async function reconcileHooks(deps: GitHubDeps): Promise<void> {
  const secret = deps.config.github.webhookSecret;
  if (!secret) return;
  const [apps, hooks] = await Promise.all([listAppRepositories(deps.db), listGitHubHooks(deps.db)]);
  const plan = planHooks(apps, hooks, {
    webUrl: deps.config.github.webUrl,
    now: Date.now(),
    retryFailedAfterMs: RETRY_FAILED_AFTER_MS,
  });
  for (const hook of plan.remove) await removeHook(deps, hook);
  for (const target of plan.create) await createHook(deps, secret, target);
  for (const hook of plan.update) await updateHookEvents(deps, hook);
}

export interface HookReconciler {
  /** Runs a pass soon (at most one at a time; a kick during a pass runs one more after it). */
  kick(): Promise<void>;
  /** Waits for the pass in flight, if any. */
  idle(): Promise<void>;
}

export function createHookReconciler(deps: GitHubDeps): HookReconciler {
  let running: Promise<void> | null = null;
  let again = false;
  const loop = async () => {
    do {
      again = false;
      try {
        await reconcileHooks(deps);
      } catch (err) {
        (deps.logger ?? silentLog).warn({ err }, "GitHub webhook reconcile failed; will retry");
      }
    } while (again);
  };
  return {
    kick() {
      if (running) {
        again = true;
        return running;
      }
      running = loop().finally(() => {
        running = null;
      });
      return running;
    },
    idle: () => running ?? Promise.resolve(),
  };
}
