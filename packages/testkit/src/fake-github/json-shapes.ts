import type { CommitInfo } from "./git-repos.ts";
import type {
  FakeDeployment,
  FakeDeploymentStatus,
  FakeHook,
  FakeRepo,
  FakeStore,
  FakeUser,
} from "./store.ts";

/** Base URLs the JSON documents point at, like github.com's `url`/`html_url`/`clone_url` fields. */
export interface Urls {
  web: string;
  api: string;
}

export function userJson(urls: Urls, user: FakeUser) {
  return {
    login: user.login,
    id: user.id,
    node_id: `U_${user.id}`,
    avatar_url: `${urls.web}/${user.login}.png`,
    url: `${urls.api}/users/${user.login}`,
    html_url: `${urls.web}/${user.login}`,
    type: "User",
    site_admin: false,
    name: user.name,
    email: user.email,
  };
}

function ownerJson(urls: Urls, store: FakeStore, login: string) {
  const user = store.users.get(login.toLowerCase());
  const id = user?.id ?? 0;
  return {
    login,
    id,
    node_id: `U_${id}`,
    url: `${urls.api}/users/${login}`,
    html_url: `${urls.web}/${login}`,
    type: "User",
  };
}

export function repoJson(urls: Urls, store: FakeStore, repo: FakeRepo, viewer: string | undefined) {
  const full = `${repo.owner}/${repo.name}`;
  const isOwner = viewer !== undefined && repo.owner.toLowerCase() === viewer.toLowerCase();
  const canPush = viewer !== undefined && store.canWrite(repo, viewer);
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: full,
    private: repo.private,
    visibility: repo.private ? "private" : "public",
    owner: ownerJson(urls, store, repo.owner),
    html_url: `${urls.web}/${full}`,
    description: repo.description,
    fork: repo.forkOf !== undefined,
    url: `${urls.api}/repos/${full}`,
    clone_url: `${urls.web}/${full}.git`,
    git_url: `${urls.web}/${full}.git`,
    hooks_url: `${urls.api}/repos/${full}/hooks`,
    deployments_url: `${urls.api}/repos/${full}/deployments`,
    default_branch: repo.defaultBranch,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    pushed_at: repo.createdAt,
    archived: false,
    disabled: false,
    permissions: { admin: isOwner, maintain: isOwner, push: canPush, triage: canPush, pull: true },
  };
}

export function commitJson(urls: Urls, repo: FakeRepo, c: CommitInfo) {
  const base = `${urls.api}/repos/${repo.owner}/${repo.name}`;
  return {
    sha: c.sha,
    node_id: `C_${c.sha}`,
    url: `${base}/commits/${c.sha}`,
    html_url: `${urls.web}/${repo.owner}/${repo.name}/commit/${c.sha}`,
    commit: {
      author: { name: c.authorName, email: c.authorEmail, date: c.authorDate },
      committer: { name: c.committerName, email: c.committerEmail, date: c.committerDate },
      message: c.message,
      tree: { sha: c.tree, url: `${base}/git/trees/${c.tree}` },
    },
    parents: c.parents.map((sha) => ({ sha, url: `${base}/commits/${sha}` })),
  };
}

export function hookJson(urls: Urls, repo: FakeRepo, hook: FakeHook) {
  const url = `${urls.api}/repos/${repo.owner}/${repo.name}/hooks/${hook.id}`;
  return {
    type: "Repository",
    id: hook.id,
    name: "web",
    active: hook.active,
    events: hook.events,
    // GitHub never echoes the secret back.
    config: {
      url: hook.url,
      content_type: hook.contentType,
      insecure_ssl: hook.insecureSsl,
      ...(hook.secret ? { secret: "********" } : {}),
    },
    created_at: hook.createdAt,
    updated_at: hook.createdAt,
    url,
    test_url: `${url}/test`,
    ping_url: `${url}/pings`,
    deliveries_url: `${url}/deliveries`,
  };
}

export function deploymentJson(urls: Urls, store: FakeStore, repo: FakeRepo, d: FakeDeployment) {
  const url = `${urls.api}/repos/${repo.owner}/${repo.name}/deployments/${d.id}`;
  return {
    url,
    id: d.id,
    node_id: `DE_${d.id}`,
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.environment,
    environment: d.environment,
    description: d.description,
    creator: ownerJson(urls, store, d.creator),
    created_at: d.createdAt,
    updated_at: d.statuses.at(-1)?.createdAt ?? d.createdAt,
    statuses_url: `${url}/statuses`,
    repository_url: `${urls.api}/repos/${repo.owner}/${repo.name}`,
    transient_environment: d.transientEnvironment,
    production_environment: d.productionEnvironment,
  };
}

export function statusJson(
  urls: Urls,
  store: FakeStore,
  repo: FakeRepo,
  d: FakeDeployment,
  s: FakeDeploymentStatus,
) {
  const depUrl = `${urls.api}/repos/${repo.owner}/${repo.name}/deployments/${d.id}`;
  return {
    url: `${depUrl}/statuses/${s.id}`,
    id: s.id,
    node_id: `DES_${s.id}`,
    state: s.state,
    creator: ownerJson(urls, store, s.creator),
    description: s.description,
    environment: d.environment,
    target_url: s.logUrl,
    log_url: s.logUrl,
    environment_url: s.environmentUrl,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    deployment_url: depUrl,
    repository_url: `${urls.api}/repos/${repo.owner}/${repo.name}`,
  };
}
