export {
  type BuildControllerDeps,
  createBuilder,
  hasBuildah,
  startBuildController,
} from "./build-controller.ts";
export { type BuildDeps, type BuildSettings, buildHandler } from "./build-handler.ts";
export {
  type BuildLogLine,
  type BuildLogSink,
  loggerLogSink,
  memoryLogSink,
} from "./build-log-sink.ts";
export { type BuildahOptions, buildahBuilder, imageTag } from "./buildah/buildah-builder.ts";
export type { Builder, BuildInput, BuildOutput } from "./builder.ts";
export { type BuildControllerConfig, loadBuildControllerConfig } from "./config.ts";
export { BuildError, type BuildErrorCode } from "./errors.ts";
export { type LogAppender, logStoreLogSink } from "./logstore-log-sink.ts";
export {
  PROCESS_IMAGE_PREFIX,
  PROCESS_RELEASE_FILE,
  type ProcessRelease,
  processBuilder,
} from "./process/process-builder.ts";
export { progressMessage } from "./progress.ts";
export type { CloneCredentials } from "./workspace.ts";
