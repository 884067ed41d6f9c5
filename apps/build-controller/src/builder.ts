import { type BuildPlan, processTypes } from "@kli8nt/buildplan";
import type { BuildRequested, BuildSettings } from "@kli8nt/core";

/** What any builder gets: where the source is, the app's settings and its build-time variables. */
export interface BuildRequest
  extends Pick<BuildRequested, "deploymentId" | "appId" | "appName" | "repository"> {
  /** Whose build limit the build counts against (the app owner's user id; the app id when unknown). */
  readonly owner: string;
  /** The clone token given for this build (null: none); undefined: the builder's own credentials. */
  readonly cloneToken?: string | null | undefined;
  /** The app's settings that override the plan (commands, Dockerfile path, target stage). */
  readonly settings: BuildSettings;
  /** Plain build-time variables of the app (`build: true`), passed as build args. */
  readonly buildArgs?: Readonly<Record<string, string>> | undefined;
  /** Secret build-time variables, passed as build secrets: never in argv or in a layer. */
  readonly buildSecrets?: Readonly<Record<string, string>> | undefined;
  readonly timeoutMs: number;
  readonly onLine: (stream: "stdout" | "stderr", line: string) => void;
}

/** What the build plan found that the deploy needs (the Kaniko Job reports it in its termination message). */
export interface PlanFacts {
  readonly provider: string;
  readonly port: number | null;
  /** Process types → command (null: the image's CMD); absent from an older prepare image. */
  readonly processes?: Record<string, string | null>;
  readonly releaseCommand?: string | null;
}

export interface BuildResult {
  /** A local image id (buildah), `process:<dir>` (process builder) or `repository@sha256:…` (Kaniko). */
  readonly image: string;
  /** The commit built; null when the builder could not tell (the message's own commit is used). */
  readonly commitSha: string | null;
  /** Null when the builder did not report its plan (an older prepare image): defaults apply. */
  readonly plan: PlanFacts | null;
}

/**
 * The Builder port: buildah or the process builder on a single machine (checkout and plan run in this
 * process, see local-builder.ts), a Kaniko Job in Kubernetes (checkout and plan run in the Job). A failure
 * caused by the user's repository or build throws a BuildError; anything else is an infrastructure error.
 */
export interface Builder {
  readonly kind: "buildah" | "process" | "kaniko-job";
  /** False when the build runs without isolation (shown to the user). */
  readonly isolated: boolean;
  build(request: BuildRequest): Promise<BuildResult>;
}

/** The facts of a plan, as every builder reports them. */
export function planFacts(plan: BuildPlan): PlanFacts {
  return {
    provider: plan.provider,
    port: plan.port ?? null,
    processes: processTypes(plan),
    releaseCommand: plan.releaseCommand,
  };
}

/** What an image builder gets from the local builder: a checked-out tree with the plan and a Dockerfile. */
export interface BuildInput {
  readonly deploymentId: string;
  readonly appId: string;
  readonly appName: string;
  /** The build context (the repository's root directory of the app). */
  readonly contextDir: string;
  /** Rendered or the repository's own Dockerfile (outside the context when rendered). */
  readonly dockerfile: string;
  readonly plan: BuildPlan;
  /** The Dockerfile stage to build (the app's settings), else the last one. */
  readonly target?: string | null | undefined;
  readonly buildArgs?: Readonly<Record<string, string>> | undefined;
  readonly buildSecrets?: Readonly<Record<string, string>> | undefined;
  /** A directory outside the context the builder may write to; removed with the workspace. */
  readonly scratchDir: string;
  readonly timeoutMs: number;
  readonly onLine: (stream: "stdout" | "stderr", line: string) => void;
}

export interface BuildOutput {
  readonly image: string;
}

/** Builds a prepared tree into an image on this machine: buildah, or the process builder. */
export interface ImageBuild {
  readonly kind: "buildah" | "process";
  readonly isolated: boolean;
  build(input: BuildInput): Promise<BuildOutput>;
}
