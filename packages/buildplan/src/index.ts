export { detectOptionsFromSettings } from "./detect/app-settings.ts";
export { detect } from "./detect.ts";
export { BuildPlanError, type BuildPlanErrorCode, isBuildPlanError, LOOKED_FOR } from "./errors.ts";
export { processTypes } from "./process-types.ts";
export { type BaseImageKey, baseImage } from "./render/base-images.ts";
export {
  BUILD_CA_PATH,
  REGISTRY_BUILD_ARGS,
  REGISTRY_SETTINGS_ENV,
  type RegistryBuildArg,
  type RegistryConfig,
  registryBuildArgs,
  registrySettingsFromEnv,
} from "./render/registry-args.ts";
export { type RenderedBuild, type RenderOptions, render } from "./render/render.ts";
export type {
  BuildPlan,
  DetectOptions,
  PackageManager,
  PlanOverrides,
  Provider,
  RuntimeVersions,
} from "./types.ts";
export { PROVIDERS } from "./types.ts";
export { resolveVersion, VERSION_TABLE } from "./versions.ts";
