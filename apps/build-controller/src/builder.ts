import type { BuildPlan } from "@kli8nt/buildplan";

/** What a builder gets: a checked-out tree with the plan and, for image builders, a Dockerfile. */
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
  readonly target?: string | undefined;
  /** Plain build-time variables of the app (`build: true`), passed as build args. */
  readonly buildArgs?: Readonly<Record<string, string>> | undefined;
  /** Secret build-time variables, passed as build secrets: never in argv or in a layer. */
  readonly buildSecrets?: Readonly<Record<string, string>> | undefined;
  /** A directory outside the context the builder may write to; removed with the workspace. */
  readonly scratchDir: string;
  readonly timeoutMs: number;
  readonly onLine: (stream: "stdout" | "stderr", line: string) => void;
}

export interface BuildOutput {
  /** What DeployRequested carries: a local image id (buildah) or `process:<dir>` (process builder). */
  readonly image: string;
}

/**
 * The Builder port: buildah on a single machine (the `process` builder when no container tools exist),
 * a Kaniko Job in Kubernetes. A build failure caused by the user's repository throws a BuildError.
 */
export interface Builder {
  readonly kind: "buildah" | "process";
  /** False when the build runs without isolation (shown to the user). */
  readonly isolated: boolean;
  build(input: BuildInput): Promise<BuildOutput>;
}
