import type { BuildRequested, DeploymentProgress, DeployRequested } from "@kli8nt/core";
import type { FetchBuildSource } from "./build-source.ts";
import type { FinishedOutcome } from "./kaniko-job-builder.ts";

/** The part of the Bus port the handler needs (RabbitMQ in production). */
export interface Publisher {
  publish(
    queue: "DEPLOY" | "INFORM",
    message: { id: string; type: string; body: DeployRequested | DeploymentProgress },
  ): Promise<void>;
}

export interface JobBuilder {
  /** `cloneToken`: given by the api for this build (null: none); undefined: the builder's own credentials. */
  build(message: BuildRequested, owner: string, cloneToken?: string | null): Promise<FinishedOutcome>;
}

export interface KanikoHandlerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface KanikoBuildHandlerDeps {
  readonly builder: JobBuilder;
  readonly bus: Publisher;
  readonly logger: KanikoHandlerLogger;
  /**
   * The api's answer for this build (ADR 0118): owner, port override and clone token in one call, made
   * before anything is reported. When set, `ownerOf` and `portOf` are not used.
   */
  readonly source?: FetchBuildSource;
  /** Whose limit a build counts against (the app owner's user id); defaults to the app. */
  readonly ownerOf?: (message: BuildRequested) => Promise<string>;
  /** The app's port override, if any; else the plan's port, else `defaultPort`. */
  readonly portOf?: (appId: string) => Promise<number | null>;
  readonly defaultPort?: number;
  readonly now?: () => Date;
}

type ResolvedSource = {
  readonly owner: string;
  readonly port: () => Promise<number | null | undefined>;
  readonly cloneToken?: string | null;
};

/** Owner, port override and clone token: the api's one answer when configured, else the optional lookups. */
async function buildSource(
  deps: KanikoBuildHandlerDeps,
  message: BuildRequested,
): Promise<ResolvedSource | null> {
  if (deps.source) {
    const answer = await deps.source(message.deploymentId);
    if (!answer) return null;
    return { owner: answer.ownerId, port: async () => answer.port, cloneToken: answer.cloneToken };
  }
  return {
    owner: (await deps.ownerOf?.(message)) ?? message.appId,
    port: async () => deps.portOf?.(message.appId),
  };
}

/**
 * Consumes BuildRequested in Kubernetes mode: reports `building`, runs the Job, then publishes
 * DeployRequested (image by digest) and `built`, or `failed` with the reason. Message ids are derived
 * from (deploymentId, step), so a redelivery publishes the same ids and consumers drop the repeat.
 * Resolving acks the BUILD message: only after DEPLOY/INFORM were confirmed by the broker.
 */
export function kanikoBuildHandler(deps: KanikoBuildHandlerDeps): (message: BuildRequested) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  const progress = (
    m: BuildRequested,
    state: DeploymentProgress["state"],
    extra: Partial<DeploymentProgress> = {},
  ) =>
    deps.bus.publish("INFORM", {
      id: `${m.deploymentId}:build:${state}`,
      type: "DeploymentProgress",
      body: {
        type: "DeploymentProgress",
        version: 1,
        deploymentId: m.deploymentId,
        appId: m.appId,
        step: "build",
        state,
        reason: null,
        url: null,
        image: null,
        commitSha: null,
        at: now().toISOString(),
        ...extra,
      },
    });

  return async (message) => {
    const log = { deploymentId: message.deploymentId, app: message.appName };
    const source = await buildSource(deps, message);
    if (source === null) {
      // A redelivery of finished work, or a deployment that is gone: acknowledged, nothing reported.
      deps.logger.info(log, "Skipped build of a deployment no longer queued or building");
      return;
    }
    const { owner } = source;
    await progress(message, "building");
    deps.logger.info({ ...log, owner }, "Started build Job");
    const started = Date.now();
    const outcome =
      "cloneToken" in source
        ? await deps.builder.build(message, owner, source.cloneToken)
        : await deps.builder.build(message, owner);
    if (outcome.kind === "failed") {
      await progress(message, "failed", { reason: outcome.reason.slice(0, 4096) });
      deps.logger.warn({ ...log, reason: outcome.reason, ms: Date.now() - started }, "Build failed");
      return;
    }
    const port = (await source.port()) ?? outcome.plan?.port ?? deps.defaultPort ?? 3000;
    const commitSha = outcome.plan?.commitSha ?? message.repository.commitSha;
    const deploy: DeployRequested = {
      type: "DeployRequested",
      version: 1,
      deploymentId: message.deploymentId,
      appId: message.appId,
      appName: message.appName,
      image: outcome.image,
      port,
      ...(outcome.plan?.processes ? { processes: outcome.plan.processes } : {}),
      ...(outcome.plan?.releaseCommand ? { releaseCommand: outcome.plan.releaseCommand } : {}),
      requestedAt: now().toISOString(),
    };
    await deps.bus.publish("DEPLOY", {
      id: `${message.deploymentId}:deploy`,
      type: "DeployRequested",
      body: deploy,
    });
    await progress(message, "built", { image: outcome.image, commitSha });
    deps.logger.info({ ...log, image: outcome.image, ms: Date.now() - started }, "Built image");
  };
}
