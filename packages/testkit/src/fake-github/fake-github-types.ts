import type { FileChanges } from "./git-repos.ts";
import type { PullRequestControls } from "./pull-request-controls.ts";
import type { FakeDeployment, FakeHook, FakeOAuthApp, WebhookDelivery } from "./store.ts";

export interface StartFakeGitHubOptions {
  /** OAuth apps registered at start. */
  oauthApps?: OAuthAppSpec[];
  /** How long an authorization code stays valid (GitHub: 10 minutes). */
  codeTtlMs?: number;
  /** Where bare repos live; a fresh temp dir (removed by stop) when omitted. */
  dataDir?: string;
  /** Called before each git smart-HTTP request is served (e.g. to inspect running git processes). */
  onGitRequest?: (info: { repo: string; path: string }) => void | Promise<void>;
}

export interface OAuthAppSpec {
  clientId?: string;
  clientSecret?: string;
  callbackUrl: string;
  /** GitHub's "expire user authorization tokens": 8 h access tokens plus refresh tokens. */
  expiringTokens?: boolean;
}

export interface UserSpec {
  login: string;
  name?: string;
  email?: string;
  /** Scopes of the personal token made for the user (default `["repo"]`). */
  scopes?: string[];
}

export interface RepoSpec {
  owner: string;
  name: string;
  private?: boolean;
  defaultBranch?: string;
  description?: string;
  /** Files of the first commit (path → content). */
  files?: Record<string, string>;
  /** A directory copied as the first commit (without .git and node_modules), e.g. a sample app. */
  fromDir?: string;
  /** Extra branches, each one commit on top of the default branch with these changes. */
  branches?: Record<string, FileChanges>;
  /** Logins with push access besides the owner. */
  collaborators?: string[];
}

export interface CreatedRepo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  cloneUrl: string;
  headSha: string;
}

export interface PushSpec {
  branch?: string;
  files?: FileChanges;
  message?: string;
  /** Login recorded as pusher/sender (default: the owner). */
  pusher?: string;
}

export interface PushResult {
  before: string;
  after: string;
  deliveries: WebhookDelivery[];
}

export interface RateLimitSpec {
  limit?: number;
  remaining: number;
  resetInSeconds?: number;
  status?: 403 | 429;
}

/** Pull requests, forks, labels and issue comments (see pull-request-controls.ts). */
export interface FakeGitHub extends PullRequestControls {
  /** Web base, e.g. http://127.0.0.1:port (OAuth pages, clone URLs). */
  url: string;
  /** REST base as Octokit's baseUrl (Enterprise layout: `${url}/api/v3`). */
  apiUrl: string;
  /** Base of clone URLs: `${gitUrl}/owner/repo.git`. */
  gitUrl: string;
  addUser(spec: UserSpec): { id: number; login: string; token: string };
  issueToken(login: string, opts?: { scopes?: string[]; expiresInMs?: number }): string;
  /** Makes `login` a (private) member of the organization `org`, creating the org on first use. */
  addOrgMember(org: string, login: string): void;
  addOAuthApp(spec: OAuthAppSpec): FakeOAuthApp;
  /** The account the fake's consent page acts for (first added user by default). */
  signInAs(login: string): void;
  /** Drives the consent form over HTTP (GET page, POST decision); returns the callback URL it redirected to. */
  authorize(authorizeUrl: string, opts?: { login?: string; deny?: boolean }): Promise<URL>;
  addRepo(spec: RepoSpec): Promise<CreatedRepo>;
  addCollaborator(fullName: string, login: string): void;
  /** Commits on a branch and delivers the `push` webhook to the repo's hooks; resolves after delivery. */
  push(fullName: string, spec?: PushSpec): Promise<PushResult>;
  revokeToken(token: string): void;
  expireToken(token: string): void;
  /** Rate limit of a user (login) or of anonymous callers (null). */
  setRateLimit(login: string | null, spec: RateLimitSpec): void;
  /** The next `count` REST calls answer `status` (default 503) and/or wait `delayMs` first. */
  failNextRequests(spec: { count: number; status?: number; delayMs?: number }): void;
  readonly deliveries: readonly WebhookDelivery[];
  redeliver(deliveryId: string): Promise<WebhookDelivery>;
  /** Sends any event with any payload to the repo's hooks subscribed to it (e.g. events Kli8nt ignores). */
  deliver(fullName: string, event: string, payload: unknown): Promise<WebhookDelivery[]>;
  hooks(fullName: string): FakeHook[];
  deployments(fullName: string): FakeDeployment[];
  stop(): Promise<void>;
}
