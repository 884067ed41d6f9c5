import { join } from "node:path";
import { commitAndPush, type FileChanges, runGit } from "./git-repos.ts";
import type { Urls } from "./json-shapes.ts";
import { pullRequestPayload } from "./pull-request-json.ts";
import { pushPayload } from "./push-event.ts";
import type {
  FakeIssueComment,
  FakePullRequest,
  FakeRepo,
  FakeStore,
  FakeUser,
  WebhookDelivery,
} from "./store.ts";
import type { WebhookSender } from "./webhook-delivery.ts";

export interface PullRequestControlDeps {
  store: FakeStore;
  urls: Urls;
  home: string;
  projectRoot: string;
  webhooks: WebhookSender;
  withRepoLock: <T>(repo: FakeRepo, fn: () => Promise<T>) => Promise<T>;
  repoByFullName: (fullName: string) => FakeRepo;
  userOf: (login: string) => FakeUser;
}

export interface OpenPullRequestSpec {
  /** The head branch (made from the head repository's default branch when new). */
  head: string;
  /** A fork's full name when the head branch lives there (see `fork`). */
  headRepo?: string;
  /** The base branch (default: the repository's default branch). */
  base?: string;
  title?: string;
  labels?: string[];
  /** The head commit's changes (default: one new file). */
  files?: FileChanges;
  /** Who opens it (default: the head repository's owner). */
  user?: string;
}

export interface PullRequestEventResult {
  number: number;
  headSha: string;
  deliveries: WebhookDelivery[];
}

export function createPullRequestControls(deps: PullRequestControlDeps) {
  const { store, urls, home, webhooks } = deps;
  const prOf = (fullName: string, number: number) => {
    const repo = deps.repoByFullName(fullName);
    const pr = store.pullRequests.get(`${repo.id}#${number}`);
    if (!pr) throw new Error(`fake GitHub has no pull request ${fullName}#${number}`);
    return { repo, pr };
  };
  const headRepoOf = (pr: FakePullRequest) => {
    const repo = store.repoById(pr.headRepoId);
    if (!repo) throw new Error(`pull request #${pr.number} lost its head repository`);
    return repo;
  };
  // Like GitHub, the base repository keeps `refs/pull/<n>/head`, so the head commit is fetchable there too.
  const syncPullRef = (repo: FakeRepo, pr: FakePullRequest) =>
    deps.withRepoLock(repo, () =>
      runGit(home, [
        "-C",
        repo.gitDir,
        "fetch",
        "-q",
        headRepoOf(pr).gitDir,
        `+refs/heads/${pr.headRef}:refs/pull/${pr.number}/head`,
      ]),
    );
  const commitOnHead = async (
    headRepo: FakeRepo,
    branch: string,
    files: FileChanges | undefined,
    sender: FakeUser,
  ) => {
    const pushed = await deps.withRepoLock(headRepo, () =>
      commitAndPush(home, headRepo.workDir, headRepo.gitDir, {
        branch,
        fromBranch: headRepo.defaultBranch,
        changes: files ?? { [`changes/${Date.now()}.md`]: "a change\n" },
        message: `Change on ${branch}`,
      }),
    );
    const payload = await pushPayload(store, urls, home, headRepo, { branch, ...pushed, pusher: sender });
    await webhooks.send(headRepo, "push", payload);
    return pushed.after;
  };
  const announce = (repo: FakeRepo, pr: FakePullRequest, action: string, label?: string) => {
    pr.updatedAt = new Date().toISOString();
    const payload = pullRequestPayload(urls, store, repo, pr, {
      action,
      sender: pr.user,
      ...(label ? { label } : {}),
    });
    return webhooks.send(repo, "pull_request", payload);
  };
  const result = async (repo: FakeRepo, pr: FakePullRequest, action: string, label?: string) => ({
    number: pr.number,
    headSha: pr.headSha,
    deliveries: await announce(repo, pr, action, label),
  });

  return {
    /** Forks `fullName` for `login`: a copy of its branches under `login/<name>`, marked as a fork. */
    async fork(fullName: string, login: string) {
      const base = deps.repoByFullName(fullName);
      const owner = deps.userOf(login).login;
      if (store.findRepo(owner, base.name)) throw new Error(`repo ${owner}/${base.name} exists`);
      const repo: FakeRepo = {
        ...base,
        id: store.newId(),
        owner,
        collaborators: [],
        createdAt: new Date().toISOString(),
        gitDir: join(deps.projectRoot, owner, `${base.name}.git`),
        workDir: join(home, "work", owner, base.name),
        forkOf: base.id,
      };
      await runGit(home, ["clone", "-q", "--bare", base.gitDir, repo.gitDir]);
      await runGit(home, ["-C", repo.gitDir, "config", "uploadpack.allowReachableSHA1InWant", "true"]);
      await runGit(home, ["clone", "-q", repo.gitDir, repo.workDir]);
      store.repos.set(store.repoKey(owner, base.name), repo);
      return { fullName: `${owner}/${base.name}`, cloneUrl: `${urls.web}/${owner}/${base.name}.git` };
    },
    /** Commits on the head branch, opens the pull request and delivers `pull_request` `opened`. */
    async openPullRequest(fullName: string, spec: OpenPullRequestSpec): Promise<PullRequestEventResult> {
      const repo = deps.repoByFullName(fullName);
      const headRepo = spec.headRepo ? deps.repoByFullName(spec.headRepo) : repo;
      const user = deps.userOf(spec.user ?? headRepo.owner);
      const headSha = await commitOnHead(headRepo, spec.head, spec.files, user);
      const number = (store.issueNumbers.get(repo.id) ?? 0) + 1;
      store.issueNumbers.set(repo.id, number);
      const now = new Date().toISOString();
      const pr: FakePullRequest = {
        number,
        repoId: repo.id,
        baseRef: spec.base ?? repo.defaultBranch,
        headRepoId: headRepo.id,
        headRef: spec.head,
        headSha,
        title: spec.title ?? `Change ${spec.head}`,
        user: user.login,
        state: "open",
        merged: false,
        labels: [...(spec.labels ?? [])],
        createdAt: now,
        updatedAt: now,
      };
      store.pullRequests.set(`${repo.id}#${number}`, pr);
      await syncPullRef(repo, pr);
      return result(repo, pr, "opened");
    },
    /** Pushes a commit to the pull request's head branch and delivers `synchronize`. */
    async pushToPullRequest(
      fullName: string,
      number: number,
      files?: FileChanges,
    ): Promise<PullRequestEventResult> {
      const { repo, pr } = prOf(fullName, number);
      pr.headSha = await commitOnHead(headRepoOf(pr), pr.headRef, files, deps.userOf(pr.user));
      await syncPullRef(repo, pr);
      return result(repo, pr, "synchronize");
    },
    async labelPullRequest(fullName: string, number: number, label: string): Promise<PullRequestEventResult> {
      const { repo, pr } = prOf(fullName, number);
      if (!pr.labels.includes(label)) pr.labels.push(label);
      return result(repo, pr, "labeled", label);
    },
    async unlabelPullRequest(
      fullName: string,
      number: number,
      label: string,
    ): Promise<PullRequestEventResult> {
      const { repo, pr } = prOf(fullName, number);
      pr.labels = pr.labels.filter((l) => l !== label);
      return result(repo, pr, "unlabeled", label);
    },
    async closePullRequest(
      fullName: string,
      number: number,
      opts: { merged?: boolean } = {},
    ): Promise<PullRequestEventResult> {
      const { repo, pr } = prOf(fullName, number);
      pr.state = "closed";
      pr.merged = opts.merged ?? false;
      return result(repo, pr, "closed");
    },
    async reopenPullRequest(fullName: string, number: number): Promise<PullRequestEventResult> {
      const { repo, pr } = prOf(fullName, number);
      pr.state = "open";
      return result(repo, pr, "reopened");
    },
    /** The comments on an issue or pull request, oldest first. */
    issueComments(fullName: string, number: number): FakeIssueComment[] {
      const repo = deps.repoByFullName(fullName);
      return [...store.comments.values()]
        .filter((c) => c.repoId === repo.id && c.issueNumber === number)
        .sort((a, b) => a.id - b.id);
    },
  };
}

export type PullRequestControls = ReturnType<typeof createPullRequestControls>;
