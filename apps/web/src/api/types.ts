/** Shapes of the api's JSON answers (see /api/openapi.json); fields other sessions may add are optional. */

export const ACTIVE_STATES = ["queued", "building", "built", "deploying"] as const;

export type DeploymentState = (typeof ACTIVE_STATES)[number] | "live" | "failed" | "cancelled" | "superseded";

/** A status condition (building, deploying, available, degraded) with a reason. */
export interface Condition {
  readonly type: string;
  readonly status: "true" | "false" | "unknown";
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export interface Deployment {
  readonly id: string;
  readonly number: number;
  readonly state: DeploymentState;
  readonly trigger: string;
  readonly ref: string;
  readonly commitSha: string | null;
  readonly image: string | null;
  readonly url: string | null;
  readonly reason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  /** Restarts after the release died (local mode heals crashed containers). */
  readonly restarts?: number;
  readonly conditions?: readonly Condition[];
  readonly author?: string | null;
  readonly commitMessage?: string | null;
}

export interface Repository {
  readonly url: string;
  readonly branch: string;
  readonly rootDir: string;
}

export interface App {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly repository: Repository;
  readonly port: number | null;
  /** Overrides of the build plan; absent keys are the plan's to decide. */
  readonly buildSettings?: BuildSettings;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly latestDeployment: Deployment | null;
}

export interface BuildSettings {
  readonly installCommand?: string;
  readonly buildCommand?: string;
  readonly startCommand?: string;
  readonly dockerfilePath?: string;
  readonly buildTarget?: string;
  readonly healthCheckPath?: string;
}

export interface AppPage {
  readonly items: App[];
  readonly nextCursor: string | null;
}

export interface DeploymentPage {
  readonly items: Deployment[];
  readonly nextBefore: number | null;
}

export interface EnvVar {
  readonly key: string;
  /** null for a secret: its value is write-only. */
  readonly value: string | null;
  readonly secret: boolean;
  /** Also passed to the build (a build arg, or a build secret when secret). */
  readonly build?: boolean;
}

export interface User {
  readonly id: string;
  readonly login: string;
  readonly name: string | null;
  readonly isAdmin: boolean;
}

/** A repository of the connected GitHub account, as the picker shows it. */
export interface GitHubRepo {
  readonly fullName: string;
  readonly private: boolean;
  readonly defaultBranch: string;
  readonly cloneUrl: string;
  readonly description: string | null;
}

export interface RepoPage {
  readonly items: GitHubRepo[];
  readonly nextPage: number | null;
}

/** The detected build plan (packages/buildplan BuildPlan), the fields the UI shows. */
export interface BuildPlan {
  readonly provider: string;
  readonly framework: string | null;
  readonly packageManager: string | null;
  readonly runtimeVersions: Readonly<Record<string, string>>;
  readonly install: readonly string[];
  readonly build: readonly string[];
  readonly start: string | null;
  readonly port: number | null;
  readonly warnings: readonly string[];
  /** The rule that decided the plan (provider and framework, or the Dockerfile used unchanged). */
  readonly detectedBy?: string;
  /** The commit of the app's branch the plan was detected on. */
  readonly commitSha?: string;
  readonly branch?: string;
}

export function isActive(state: DeploymentState): boolean {
  return (ACTIVE_STATES as readonly string[]).includes(state);
}
