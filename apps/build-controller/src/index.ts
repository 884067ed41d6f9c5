export {
  type BuildControllerDeps,
  createBuilder,
  hasBuildah,
  startBuildController,
} from "./build-controller.ts";
export { type BuildHandlerDeps, buildHandler, type HandlerLogger } from "./build-handler.ts";
export {
  type BuildLogLine,
  type BuildLogSink,
  loggerLogSink,
  memoryLogSink,
} from "./build-log-sink.ts";
export type { BuildClaim, BuildTracker, BuildVar } from "./build-tracker.ts";
export { type BuildahOptions, buildahImageBuild, imageTag } from "./buildah/buildah-builder.ts";
export {
  type Builder,
  type BuildInput,
  type BuildOutput,
  type BuildRequest,
  type BuildResult,
  type ImageBuild,
  type PlanFacts,
  planFacts,
} from "./builder.ts";
export { type BuildControllerConfig, loadBuildControllerConfig } from "./config.ts";
export { BuildError, type BuildErrorCode } from "./errors.ts";
export { type LocalBuildOptions, localBuilder } from "./local-builder.ts";
export { type LogAppender, logStoreLogSink } from "./logstore-log-sink.ts";
export { type OutboxTrackerDeps, outboxBuildTracker } from "./outbox-build-tracker.ts";
export {
  PROCESS_IMAGE_PREFIX,
  PROCESS_RELEASE_FILE,
  type ProcessRelease,
  processImageBuild,
} from "./process/process-builder.ts";
export { progressMessage } from "./progress.ts";
export type { CloneCredentials } from "./workspace.ts";
