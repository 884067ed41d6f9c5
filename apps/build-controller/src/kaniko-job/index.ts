export { type AdmissionLimits, BuildAdmission } from "./build-admission.ts";
export { type BuildNames, buildNames, FIELD_MANAGER, LABEL_APP_ID, LABEL_OWNER } from "./build-names.ts";
export {
  type BuildSource,
  type BuildSourceClientOptions,
  BuildSourceError,
  buildSourceClient,
  type FetchBuildSource,
} from "./build-source.ts";
export { type BusTrackerDeps, busBuildTracker, type Publisher } from "./bus-build-tracker.ts";
export { type KanikoJobConfig, loadKanikoJobConfig } from "./config.ts";
export { type JobOutcome, jobOutcome, type PreparedPlan, pinnedImage } from "./job-outcome.ts";
export { type KanikoBuildHandlerDeps, kanikoBuildHandler } from "./kaniko-build-handler.ts";
export {
  type FinishedOutcome,
  KanikoJobBuilder,
  type KanikoJobBuilderOptions,
} from "./kaniko-job-builder.ts";
export { buildLabels, type JobSettings, renderBuildJob, renderTokenSecret } from "./render-build-job.ts";
