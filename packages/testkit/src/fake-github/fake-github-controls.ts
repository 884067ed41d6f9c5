import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { driveConsent } from "./consent-driver.ts";
import type { FakeGitHub } from "./fake-github-types.ts";
import { commitAndPush, createGitRepo, runGit } from "./git-repos.ts";
import type { Urls } from "./json-shapes.ts";
import { createPullRequestControls } from "./pull-request-controls.ts";
import { pushPayload } from "./push-event.ts";
import { type FakeRepo, type FakeStore, mintTokenValue } from "./store.ts";
import type { WebhookSender } from "./webhook-delivery.ts";

interface ControlDeps {
  store: FakeStore;
  urls: Urls;
  home: string;
  projectRoot: string;
  webhooks: WebhookSender;
  signIn: (login: string) => void;
}

type Controls = Omit<FakeGitHub, "url" | "apiUrl" | "gitUrl" | "deliveries" | "stop">;

/** The test-facing controls of the fake: seeding accounts and repos, pushing, and breaking things on purpose. */
export function createFakeGitHubControls(deps: ControlDeps): Controls {
  const { store, urls, home, webhooks } = deps;
  // Commits on one repo must not interleave (one working tree per repo).
  const repoLocks = new Map<number, Promise<unknown>>();
  const withRepoLock = <T>(repo: FakeRepo, fn: () => Promise<T>): Promise<T> => {
    const run = (repoLocks.get(repo.id) ?? Promise.resolve()).then(fn, fn);
    repoLocks.set(
      repo.id,
      run.catch(() => undefined),
    );
    return run;
  };
  const repoByFullName = (fullName: string): FakeRepo => {
    const [owner = "", name = ""] = fullName.split("/");
    const repo = store.findRepo(owner, name);
    if (!repo) throw new Error(`fake GitHub has no repository ${fullName}`);
    return repo;
  };
  const userOf = (login: string) => {
    const user = store.users.get(login.toLowerCase());
    if (!user) throw new Error(`fake GitHub has no user ${login}`);
    return user;
  };
  const tokenOf = (token: string) => {
    const t = store.tokens.get(token);
    if (!t) throw new Error("fake GitHub does not know this token");
    return t;
  };

  const issueToken: Controls["issueToken"] = (login, opts = {}) => {
    const user = userOf(login);
    const value = mintTokenValue("ghp");
    store.tokens.set(value, {
      value,
      login: user.login.toLowerCase(),
      scopes: opts.scopes ?? ["repo"],
      revoked: false,
      ...(opts.expiresInMs !== undefined ? { expiresAt: Date.now() + opts.expiresInMs } : {}),
    });
    return value;
  };

  return {
    ...createPullRequestControls({ ...deps, withRepoLock, repoByFullName, userOf }),
    addUser(spec) {
      const key = spec.login.toLowerCase();
      if (store.users.has(key)) throw new Error(`user ${spec.login} exists`);
      const user = {
        id: store.newId(),
        login: spec.login,
        name: spec.name ?? spec.login,
        email: spec.email ?? `${key}@users.noreply.fake-github.test`,
      };
      store.users.set(key, user);
      const token = issueToken(spec.login, spec.scopes ? { scopes: spec.scopes } : {});
      return { id: user.id, login: user.login, token };
    },
    issueToken,
    addOrgMember(org, login) {
      const key = org.toLowerCase();
      const members = store.orgMembers.get(key) ?? new Set<string>();
      members.add(login.toLowerCase());
      store.orgMembers.set(key, members);
    },
    addOAuthApp(spec) {
      const app = {
        clientId: spec.clientId ?? `Ov23li${randomBytes(7).toString("hex")}`,
        clientSecret: spec.clientSecret ?? randomBytes(20).toString("hex"),
        callbackUrl: spec.callbackUrl,
        expiringTokens: spec.expiringTokens ?? false,
      };
      store.apps.set(app.clientId, app);
      return app;
    },
    signInAs(login) {
      deps.signIn(userOf(login).login);
    },
    authorize: (authorizeUrl, opts = {}) => driveConsent(urls.web, authorizeUrl, opts),
    async addRepo(spec) {
      userOf(spec.owner);
      if (store.findRepo(spec.owner, spec.name)) throw new Error(`repo ${spec.owner}/${spec.name} exists`);
      const defaultBranch = spec.defaultBranch ?? "main";
      const repo: FakeRepo = {
        id: store.newId(),
        owner: spec.owner,
        name: spec.name,
        private: spec.private ?? false,
        defaultBranch,
        description: spec.description ?? "",
        collaborators: (spec.collaborators ?? []).map((c) => c.toLowerCase()),
        createdAt: new Date().toISOString(),
        gitDir: join(deps.projectRoot, spec.owner, `${spec.name}.git`),
        workDir: join(home, "work", spec.owner, spec.name),
      };
      await createGitRepo(home, repo.workDir, repo.gitDir, {
        defaultBranch,
        ...(spec.files ? { files: spec.files } : {}),
        ...(spec.fromDir ? { fromDir: spec.fromDir } : {}),
        ...(spec.branches ? { branches: spec.branches } : {}),
      });
      store.repos.set(store.repoKey(spec.owner, spec.name), repo);
      const headSha = (await runGit(home, ["-C", repo.gitDir, "rev-parse", defaultBranch])).trim();
      return {
        id: repo.id,
        owner: repo.owner,
        name: repo.name,
        fullName: `${repo.owner}/${repo.name}`,
        private: repo.private,
        defaultBranch,
        cloneUrl: `${urls.web}/${repo.owner}/${repo.name}.git`,
        headSha,
      };
    },
    addCollaborator(fullName, login) {
      repoByFullName(fullName).collaborators.push(userOf(login).login.toLowerCase());
    },
    async push(fullName, spec = {}) {
      const repo = repoByFullName(fullName);
      const branch = spec.branch ?? repo.defaultBranch;
      const pusher = userOf(spec.pusher ?? repo.owner);
      const pushed = await withRepoLock(repo, () =>
        commitAndPush(home, repo.workDir, repo.gitDir, {
          branch,
          fromBranch: repo.defaultBranch,
          changes: spec.files ?? { "CHANGELOG.md": `change ${Date.now()}\n` },
          message: spec.message ?? "Update from the fake GitHub",
        }),
      );
      const payload = await pushPayload(store, urls, home, repo, { branch, ...pushed, pusher });
      const deliveries = await webhooks.send(repo, "push", payload);
      return { before: pushed.before, after: pushed.after, deliveries };
    },
    revokeToken(token) {
      tokenOf(token).revoked = true;
    },
    expireToken(token) {
      tokenOf(token).expiresAt = Date.now() - 1;
    },
    setRateLimit(login, spec) {
      const key = login === null ? "anon:127.0.0.1" : userOf(login).login.toLowerCase();
      const limit = spec.limit ?? (login === null ? 60 : 5000);
      store.rateLimits.set(key, {
        limit,
        remaining: spec.remaining,
        reset: Math.floor(Date.now() / 1000) + (spec.resetInSeconds ?? 3600),
        status: spec.status ?? 403,
      });
    },
    failNextRequests(spec) {
      store.outage = { count: spec.count, status: spec.status ?? 503, delayMs: spec.delayMs ?? 0 };
    },
    redeliver: (id) => webhooks.redeliver(id),
    deliver: (fullName, event, payload) => webhooks.send(repoByFullName(fullName), event, payload),
    hooks(fullName) {
      const repo = repoByFullName(fullName);
      return [...store.hooks.values()].filter((h) => h.repoId === repo.id);
    },
    deployments(fullName) {
      const repo = repoByFullName(fullName);
      return [...store.deployments.values()].filter((d) => d.repoId === repo.id).sort((a, b) => a.id - b.id);
    },
  };
}
