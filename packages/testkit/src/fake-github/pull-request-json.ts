import { repoJson, type Urls } from "./json-shapes.ts";
import type { FakeIssueComment, FakePullRequest, FakeRepo, FakeStore } from "./store.ts";

function userRef(urls: Urls, store: FakeStore, login: string) {
  const user = store.users.get(login.toLowerCase());
  return { login, id: user?.id ?? 0, type: "User", html_url: `${urls.web}/${login}` };
}

/** A pull request as GitHub's REST API and `pull_request` payloads show it (the fields clients read). */
export function pullRequestJson(urls: Urls, store: FakeStore, pr: FakePullRequest) {
  const base = store.repoById(pr.repoId);
  const head = store.repoById(pr.headRepoId);
  if (!base || !head) throw new Error(`pull request #${pr.number} lost its repository`);
  const full = `${base.owner}/${base.name}`;
  return {
    id: pr.repoId * 100_000 + pr.number,
    number: pr.number,
    state: pr.state,
    title: pr.title,
    user: userRef(urls, store, pr.user),
    url: `${urls.api}/repos/${full}/pulls/${pr.number}`,
    html_url: `${urls.web}/${full}/pull/${pr.number}`,
    issue_url: `${urls.api}/repos/${full}/issues/${pr.number}`,
    labels: pr.labels.map((name, i) => ({ id: i + 1, name, color: "ededed", default: false })),
    merged: pr.merged,
    draft: false,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.state === "closed" ? pr.updatedAt : null,
    head: {
      label: `${head.owner}:${pr.headRef}`,
      ref: pr.headRef,
      sha: pr.headSha,
      user: userRef(urls, store, head.owner),
      repo: repoJson(urls, store, head, undefined),
    },
    base: {
      label: `${base.owner}:${pr.baseRef}`,
      ref: pr.baseRef,
      sha: "",
      user: userRef(urls, store, base.owner),
      repo: repoJson(urls, store, base, undefined),
    },
  };
}

/** The `pull_request` webhook payload for `action` (with `label` for labeled/unlabeled). */
export function pullRequestPayload(
  urls: Urls,
  store: FakeStore,
  repo: FakeRepo,
  pr: FakePullRequest,
  event: { action: string; sender: string; label?: string },
) {
  return {
    action: event.action,
    number: pr.number,
    pull_request: pullRequestJson(urls, store, pr),
    ...(event.label ? { label: { name: event.label, color: "ededed" } } : {}),
    repository: repoJson(urls, store, repo, undefined),
    sender: userRef(urls, store, event.sender),
  };
}

export function commentJson(urls: Urls, store: FakeStore, repo: FakeRepo, c: FakeIssueComment) {
  const full = `${repo.owner}/${repo.name}`;
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${urls.api}/repos/${full}/issues/comments/${c.id}`,
    html_url: `${urls.web}/${full}/pull/${c.issueNumber}#issuecomment-${c.id}`,
    issue_url: `${urls.api}/repos/${full}/issues/${c.issueNumber}`,
    body: c.body,
    user: userRef(urls, store, c.user),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}
