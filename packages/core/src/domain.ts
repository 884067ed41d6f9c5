import type { BuildSettings } from "./build-settings.ts";
import type { Condition } from "./conditions.ts";
import type { DeploymentState } from "./deployment-state.ts";

export type UserId = string;
export type AppId = string;
export type DeploymentId = string;

export interface User {
  readonly id: UserId;
  readonly login: string;
  readonly name: string | null;
  readonly avatarUrl: string | null;
  readonly isAdmin: boolean;
  readonly createdAt: Date;
}

/** A user's link to GitHub. Tokens are never part of this view: they stay encrypted in the database. */
export interface GitHubAccount {
  readonly userId: UserId;
  readonly githubId: number;
  readonly login: string;
  readonly scopes: readonly string[];
  readonly tokenExpiresAt: Date | null;
  /** False once GitHub rejected the token: the UI asks the user to reconnect. */
  readonly tokenValid: boolean;
}

export interface ApiToken {
  readonly id: string;
  readonly userId: UserId;
  readonly name: string;
  /** First characters of the token, shown so users can tell tokens apart. */
  readonly prefix: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  /** Null: never expires. */
  readonly expiresAt: Date | null;
}

export interface RepositorySpec {
  readonly url: string;
  readonly branch: string;
  readonly rootDir: string;
}

export interface App {
  readonly id: AppId;
  readonly ownerId: UserId;
  readonly name: string;
  readonly repository: RepositorySpec;
  readonly port: number | null;
  /** Settings that override the build plan; empty when the plan decides everything. */
  readonly buildSettings: BuildSettings;
  /** Stopped by the user (`POST …/stop`): every process at 0 until `start`. */
  readonly stopped: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What the API shows of an env var: secret values are never returned. */
export interface EnvVar {
  readonly key: string;
  readonly value: string | null;
  readonly secret: boolean;
  /** Also given to the build: a build arg, or a build secret when secret (never baked into a layer). */
  readonly build?: boolean;
}

export type DeploymentTrigger = "api" | "push" | "rollback" | "redeploy";

/** A deployment is also the release it produces: its image is what a rollback reuses. */
export interface Deployment {
  readonly id: DeploymentId;
  readonly appId: AppId;
  /** 1, 2, 3… per app: what users call "v12". */
  readonly number: number;
  readonly state: DeploymentState;
  readonly trigger: DeploymentTrigger;
  readonly ref: string;
  readonly commitSha: string | null;
  readonly image: string | null;
  /** For a rollback: the release whose image is reused. */
  readonly rollbackOf: DeploymentId | null;
  readonly url: string | null;
  /** Why it failed or was cancelled, in words a user can act on. */
  readonly reason: string | null;
  /** The port the release listens on (set when it is deployed); null before. */
  readonly port: number | null;
  /** How often the runtime restarted this release after it died. */
  readonly restarts: number;
  readonly conditions: readonly Condition[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}
