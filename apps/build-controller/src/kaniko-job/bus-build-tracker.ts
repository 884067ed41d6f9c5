import {
  type BuildRequested,
  type DeploymentProgress,
  type DeployRequested,
  messageTypeOf,
  progressMessage,
} from "@kli8nt/core";
import type { BuildClaim, BuildTracker } from "../build-tracker.ts";
import type { FetchBuildSource } from "./build-source.ts";

/** The part of the Bus port the tracker needs (RabbitMQ in production). */
export interface Publisher {
  publish(
    queue: "DEPLOY" | "INFORM",
    message: { id: string; type: string; body: DeployRequested | DeploymentProgress },
  ): Promise<void>;
}

export interface BusTrackerDeps {
  readonly bus: Publisher;
  /**
   * The api's answer for this build (ADR 0118): owner, port override, clone token and the app's build
   * settings in one call, made before anything is reported. When set, `ownerOf` and `portOf` are not used.
   */
  readonly source?: FetchBuildSource | undefined;
  /** Whose limit a build counts against (the app owner's user id); defaults to the app. */
  readonly ownerOf?: ((message: BuildRequested) => Promise<string>) | undefined;
  /** The app's port override, if any. */
  readonly portOf?: ((appId: string) => Promise<number | null>) | undefined;
  readonly now?: (() => Date) | undefined;
}

/** Owner, overrides and clone token: the api's one answer when configured, else the optional lookups. */
async function lookUp(deps: BusTrackerDeps, message: BuildRequested): Promise<BuildClaim | null> {
  if (deps.source) {
    const answer = await deps.source(message.deploymentId);
    if (!answer) return null;
    const settings = answer.buildSettings ?? {};
    return {
      owner: answer.ownerId,
      cloneToken: answer.cloneToken,
      settings,
      overrides: { port: answer.port, releaseCommand: settings.releaseCommand },
      buildVars: [],
    };
  }
  return {
    owner: (await deps.ownerOf?.(message)) ?? message.appId,
    settings: {},
    overrides: { port: (await deps.portOf?.(message.appId)) ?? null },
    buildVars: [],
  };
}

/**
 * The build's state in Kubernetes, where the build controller has no database (ADR 0118): the api says
 * whether there is anything to build, progress and DEPLOY go to the bus. Message ids are derived from
 * (deploymentId, step), so a redelivery publishes the same ids and consumers drop the repeat.
 */
export function busBuildTracker(deps: BusTrackerDeps): BuildTracker {
  const now = deps.now ?? (() => new Date());
  // The wire type is the outbox relay's (`DeploymentProgress.v1`): consumers see one name in both modes.
  const publish = (queue: "DEPLOY" | "INFORM", id: string, body: DeployRequested | DeploymentProgress) =>
    deps.bus.publish(queue, { id, type: messageTypeOf(body, queue), body });
  const progress = (
    m: BuildRequested,
    state: DeploymentProgress["state"],
    extra: Partial<DeploymentProgress>,
  ) => {
    const report = {
      id: m.deploymentId,
      appId: m.appId,
      state,
      reason: extra.reason ?? null,
      url: null,
      image: extra.image ?? null,
      commitSha: extra.commitSha ?? null,
    };
    return publish("INFORM", `${m.deploymentId}:build:${state}`, progressMessage(report, "build", now()));
  };
  return {
    async claim(message) {
      const claim = await lookUp(deps, message);
      if (claim) await progress(message, "building", {});
      return claim;
    },
    async built(message, built, deploy) {
      await publish("DEPLOY", `${message.deploymentId}:deploy`, deploy);
      await progress(message, "built", { image: built.image, commitSha: built.commitSha });
    },
    async failed(message, reason) {
      await progress(message, "failed", { reason });
    },
  };
}
