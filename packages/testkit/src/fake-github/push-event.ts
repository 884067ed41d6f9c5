import { changedPaths, commitInfo, ZERO_SHA } from "./git-repos.ts";
import { repoJson, type Urls, userJson } from "./json-shapes.ts";
import type { FakeRepo, FakeStore, FakeUser } from "./store.ts";

/** The `push` webhook payload GitHub sends for one pushed commit on `branch`. */
export async function pushPayload(
  store: FakeStore,
  urls: Urls,
  home: string,
  repo: FakeRepo,
  push: { branch: string; before: string; after: string; created: boolean; pusher: FakeUser },
) {
  const info = await commitInfo(home, repo.gitDir, push.after);
  const paths = await changedPaths(home, repo.gitDir, push.before, push.after);
  const full = `${repo.owner}/${repo.name}`;
  const commit = {
    id: info.sha,
    tree_id: info.tree,
    distinct: true,
    message: info.message,
    timestamp: info.committerDate,
    url: `${urls.web}/${full}/commit/${info.sha}`,
    author: { name: info.authorName, email: info.authorEmail },
    committer: { name: info.committerName, email: info.committerEmail },
    ...paths,
  };
  const repository = repoJson(urls, store, repo, undefined);
  return {
    ref: `refs/heads/${push.branch}`,
    before: push.before,
    after: push.after,
    created: push.created,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `${urls.web}/${full}/compare/${push.before === ZERO_SHA ? push.branch : push.before.slice(0, 12)}...${push.after.slice(0, 12)}`,
    commits: [commit],
    head_commit: commit,
    // GitHub's push payload carries `master_branch` and a numeric `pushed_at` on the repository.
    repository: {
      ...repository,
      master_branch: repo.defaultBranch,
      pushed_at: Math.floor(Date.now() / 1000),
    },
    pusher: { name: push.pusher.login, email: push.pusher.email },
    sender: userJson(urls, push.pusher),
  };
}
