import { type BuildRequested, deployRequestedMessage } from "@kli8nt/core";
import type { BuildLogSink } from "./build-log-sink.ts";
import type { BuildClaim, BuildTracker } from "./build-tracker.ts";
import type { Builder, BuildResult } from "./builder.ts";
import { isBuildError } from "./errors.ts";

export interface HandlerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface BuildHandlerDeps {
  /** buildah, the process builder or the Kaniko Job. */
  readonly builder: Builder;
  /** The database and outbox (single machine) or the api and the bus (Kubernetes). */
  readonly tracker: BuildTracker;
  readonly sink: BuildLogSink;
  readonly logger: HandlerLogger;
  readonly buildTimeoutMs: number;
  /** Port when neither the app nor the plan names one (a worker-only app keeps it too). */
  readonly defaultPort: number;
  readonly now?: () => Date;
}

/** Plain variables become build args, secret ones build secrets. */
function splitBuildVars(vars: BuildClaim["buildVars"]) {
  const pick = (secret: boolean) =>
    Object.fromEntries(vars.filter((v) => v.secret === secret).map((v) => [v.key, v.value]));
  return { buildArgs: pick(false), buildSecrets: pick(true) };
}

/**
 * Handles BuildRequested with any Builder: claim (→ building) → build → built with DEPLOY, or failed with
 * the reason of a BuildError. Any other error is thrown, and the bus redelivers the message. Idempotent: a
 * redelivery of a finished build changes nothing; one of an interrupted build builds again (layer caches
 * make that cheap; a Kaniko Job still running is followed) and records `built` once.
 */
export function buildHandler(deps: BuildHandlerDeps): (message: BuildRequested) => Promise<void> {
  const running = new Map<string, Promise<void>>();
  return async (message) => {
    const current = running.get(message.deploymentId);
    if (current) return current;
    const work = handle(deps, message).finally(() => running.delete(message.deploymentId));
    running.set(message.deploymentId, work);
    return work;
  };
}

async function handle(deps: BuildHandlerDeps, message: BuildRequested): Promise<void> {
  const { logger, tracker } = deps;
  const log = { deploymentId: message.deploymentId, app: message.appName };
  const claim = await tracker.claim(message);
  if (!claim) return;
  logger.info({ ...log, builder: deps.builder.kind, owner: claim.owner }, "Started build");
  const started = Date.now();
  try {
    const result = await build(deps, message, claim);
    const commitSha = result.commitSha ?? message.repository.commitSha;
    await tracker.built(message, { image: result.image, commitSha }, deployFor(deps, message, claim, result));
    logger.info({ ...log, image: result.image, ms: Date.now() - started }, "Built image");
  } catch (error) {
    if (!isBuildError(error)) throw error;
    const reason = error.message.slice(0, 4096);
    deps.sink.write({
      appId: message.appId,
      deploymentId: message.deploymentId,
      stream: "stderr",
      line: reason,
    });
    await tracker.failed(message, reason);
    logger.warn({ ...log, code: error.code, reason, ms: Date.now() - started }, "Build failed");
  } finally {
    await deps.sink.flush();
  }
}

function build(deps: BuildHandlerDeps, message: BuildRequested, claim: BuildClaim): Promise<BuildResult> {
  return deps.builder.build({
    deploymentId: message.deploymentId,
    appId: message.appId,
    appName: message.appName,
    repository: message.repository,
    owner: claim.owner,
    ...(claim.cloneToken !== undefined ? { cloneToken: claim.cloneToken } : {}),
    settings: claim.settings,
    ...splitBuildVars(claim.buildVars),
    timeoutMs: deps.buildTimeoutMs,
    onLine: (stream, line) =>
      deps.sink.write({ appId: message.appId, deploymentId: message.deploymentId, stream, line }),
  });
}

function deployFor(deps: BuildHandlerDeps, message: BuildRequested, claim: BuildClaim, result: BuildResult) {
  return deployRequestedMessage({
    deploymentId: message.deploymentId,
    appId: message.appId,
    appName: message.appName,
    image: result.image,
    plan: result.plan,
    overrides: claim.overrides,
    defaultPort: deps.defaultPort,
    at: deps.now?.(),
  });
}
