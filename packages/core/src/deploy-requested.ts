import type { DeployRequested } from "./messages.ts";

/** What the build plan found that decides how the release runs (BuildPlan's facts, from either builder). */
export interface ReleasePlanFacts {
  readonly port: number | null;
  /** Process types → command (null: the image's own CMD); absent when the builder did not report them. */
  readonly processes?: Record<string, string | null> | undefined;
  readonly releaseCommand?: string | null | undefined;
}

/** The app's settings that win over the plan. */
export interface ReleaseOverrides {
  readonly port: number | null;
  readonly releaseCommand?: string | null | undefined;
}

export interface DeployRequestInput {
  readonly deploymentId: string;
  readonly appId: string;
  readonly appName: string;
  readonly image: string;
  /** Null when the builder reported no plan (an older Kaniko prepare image): `web` on the default port. */
  readonly plan: ReleasePlanFacts | null;
  readonly overrides: ReleaseOverrides;
  /** The port when neither the app nor the plan names one; a worker-only app keeps it too (the schema needs one). */
  readonly defaultPort: number;
  readonly at?: Date | undefined;
}

/**
 * The DEPLOY message for a finished build, from either build controller: the app's port and release command
 * over the plan's, the plan's process types (no `web` among them tells the deploy side nothing serves HTTP).
 */
export function deployRequestedMessage(input: DeployRequestInput): DeployRequested {
  const { plan, overrides } = input;
  const releaseCommand = overrides.releaseCommand ?? plan?.releaseCommand ?? null;
  return {
    type: "DeployRequested",
    version: 1,
    deploymentId: input.deploymentId,
    appId: input.appId,
    appName: input.appName,
    image: input.image,
    port: overrides.port ?? plan?.port ?? input.defaultPort,
    ...(plan?.processes ? { processes: plan.processes } : {}),
    ...(releaseCommand ? { releaseCommand } : {}),
    requestedAt: (input.at ?? new Date()).toISOString(),
  };
}
