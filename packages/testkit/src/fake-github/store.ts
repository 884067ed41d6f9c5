import { randomBytes } from "node:crypto";

/** A GitHub account known to the fake. */
export interface FakeUser {
  id: number;
  login: string;
  name: string;
  email: string;
}

/** An access token as GitHub tracks it: owner, scopes, optional expiry, revocation. */
export interface FakeToken {
  value: string;
  login: string;
  scopes: string[];
  expiresAt?: number;
  revoked: boolean;
  /** Set for tokens minted by an OAuth app with expiring user tokens. */
  clientId?: string;
}

export interface FakeRefreshToken {
  value: string;
  login: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  used: boolean;
}

export interface FakeOAuthApp {
  clientId: string;
  clientSecret: string;
  callbackUrl: string;
  /** GitHub's "expire user authorization tokens" setting: 8 h tokens plus refresh tokens. */
  expiringTokens: boolean;
}

export interface FakeAuthCode {
  code: string;
  clientId: string;
  login: string;
  scopes: string[];
  redirectUri?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  expiresAt: number;
  used: boolean;
}

export interface FakeRepo {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  defaultBranch: string;
  description: string;
  collaborators: string[];
  createdAt: string;
  /** Bare repository served by git http-backend. */
  gitDir: string;
  /** Working tree used by the test controls to make commits. */
  workDir: string;
  /** The repository this one is a fork of. */
  forkOf?: number;
}

/** A pull request: head branch (on this repo or a fork) into a base branch of this repo. */
export interface FakePullRequest {
  number: number;
  repoId: number;
  baseRef: string;
  headRepoId: number;
  headRef: string;
  headSha: string;
  title: string;
  user: string;
  state: "open" | "closed";
  merged: boolean;
  labels: string[];
  createdAt: string;
  updatedAt: string;
}

/** A comment on an issue or pull request (they share numbers and the comment API). */
export interface FakeIssueComment {
  id: number;
  repoId: number;
  issueNumber: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}

export interface FakeHook {
  id: number;
  repoId: number;
  url: string;
  contentType: "json" | "form";
  secret?: string;
  events: string[];
  active: boolean;
  insecureSsl: string;
  createdAt: string;
}

export interface FakeDeploymentStatus {
  id: number;
  state: string;
  description: string;
  environmentUrl: string;
  logUrl: string;
  creator: string;
  createdAt: string;
}

export interface FakeDeployment {
  id: number;
  repoId: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string | null;
  payload: unknown;
  creator: string;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  createdAt: string;
  statuses: FakeDeploymentStatus[];
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Unix seconds. */
  reset: number;
  /** What GitHub answers once remaining is 0: primary limits give 403, secondary ones often 429. */
  status: 403 | 429;
}

/** One webhook delivery attempt, as the "Recent Deliveries" tab would show it. */
export interface WebhookDelivery {
  id: string;
  hookId: number;
  event: string;
  url: string;
  requestHeaders: Record<string, string>;
  body: string;
  status?: number;
  responseBody?: string;
  error?: string;
  durationMs: number;
  redelivery: boolean;
}

/** The fake's whole in-memory state. */
export class FakeStore {
  readonly users = new Map<string, FakeUser>();
  /** Organization (lowercased) → its members' logins (lowercased). */
  readonly orgMembers = new Map<string, Set<string>>();
  readonly tokens = new Map<string, FakeToken>();
  readonly refreshTokens = new Map<string, FakeRefreshToken>();
  readonly apps = new Map<string, FakeOAuthApp>();
  readonly codes = new Map<string, FakeAuthCode>();
  readonly repos = new Map<string, FakeRepo>();
  readonly hooks = new Map<number, FakeHook>();
  readonly deployments = new Map<number, FakeDeployment>();
  /** `${repoId}#${number}` → pull request. */
  readonly pullRequests = new Map<string, FakePullRequest>();
  readonly comments = new Map<number, FakeIssueComment>();
  /** Last issue/pull request number per repository id. */
  readonly issueNumbers = new Map<number, number>();
  readonly rateLimits = new Map<string, RateLimitState>();
  readonly deliveries: WebhookDelivery[] = [];
  /** Injected trouble for the next `count` REST calls: an error status, or a delay (to trip timeouts). */
  outage: { count: number; status: number; delayMs: number } | undefined;
  private nextId = 1000;

  newId(): number {
    this.nextId += 1;
    return this.nextId;
  }

  repoKey(owner: string, name: string): string {
    return `${owner}/${name}`.toLowerCase();
  }

  repoById(id: number): FakeRepo | undefined {
    for (const repo of this.repos.values()) if (repo.id === id) return repo;
    return undefined;
  }

  findRepo(owner: string, name: string): FakeRepo | undefined {
    return this.repos.get(this.repoKey(owner, name));
  }

  /** Whether `login` (undefined = anonymous) may read the repository at all. */
  canRead(repo: FakeRepo, login: string | undefined): boolean {
    if (!repo.private) return true;
    return login !== undefined && this.canWrite(repo, login);
  }

  canWrite(repo: FakeRepo, login: string): boolean {
    return (
      repo.owner.toLowerCase() === login.toLowerCase() || repo.collaborators.includes(login.toLowerCase())
    );
  }

  /** The token if it is known, not revoked and not expired. */
  liveToken(value: string): FakeToken | undefined {
    const token = this.tokens.get(value);
    if (!token || token.revoked) return undefined;
    if (token.expiresAt !== undefined && token.expiresAt <= Date.now()) return undefined;
    return token;
  }
}

/** Random token in GitHub's format: a type prefix and 36 base62-ish characters. */
export function mintTokenValue(prefix: "ghp" | "gho" | "ghu" | "ghr"): string {
  const raw = randomBytes(27).toString("base64url").replace(/[-_]/g, "a").slice(0, 36);
  return `${prefix}_${raw}`;
}
